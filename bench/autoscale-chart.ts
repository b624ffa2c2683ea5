/**
 * The replica-count chart of `npm run bench:autoscale`: Apache ECharts renders it to SVG on the server
 * (no browser, no canvas), and resvg turns the SVG into a PNG.
 */
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';

export interface Series {
  readonly name: string;
  /** [seconds since the start, value] */
  readonly points: readonly (readonly [number, number])[];
  readonly axis: 'replicas' | 'jobs';
}

export interface ChartOptions {
  /** Name of the right axis (the `jobs` series). Default "jobs in the system". */
  readonly rightAxis?: string;
}

export async function writeChart(
  file: string,
  title: string,
  series: readonly Series[],
  options: ChartOptions = {},
): Promise<void> {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 1200, height: 500 });
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    legend: { top: 28 },
    // A legend of many series wraps onto a second row: leave it room above the plot.
    grid: { left: 60, right: 60, top: series.length > 4 ? 95 : 70, bottom: 50 },
    xAxis: { type: 'value', name: 'seconds', nameLocation: 'middle', nameGap: 28 },
    yAxis: [
      { type: 'value', name: 'replicas', minInterval: 1 },
      { type: 'value', name: options.rightAxis ?? 'jobs in the system', splitLine: { show: false } },
    ],
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      step: s.axis === 'replicas' ? 'end' : undefined,
      showSymbol: false,
      yAxisIndex: s.axis === 'replicas' ? 0 : 1,
      lineStyle: s.axis === 'jobs' ? { type: 'dashed', width: 1 } : { width: 2 },
      data: s.points.map(([x, y]) => [x, y]),
    })),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const png = new Resvg(svg, { background: '#ffffff', font: { loadSystemFonts: true } }).render().asPng();
  await writeFile(file, png);
}
