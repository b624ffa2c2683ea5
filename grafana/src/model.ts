/**
 * Typed dashboards: what a panel means (title, queries, unit, width) is written in TypeScript, and
 * `renderDashboard` turns it into the JSON that Grafana's file provisioning loads, with the layout,
 * panel ids and data source references that hand-edited JSON tends to get wrong.
 */

/** The provisioned data source (grafana/provisioning/datasources/prometheus.yml); panels name it by uid. */
export const DATASOURCE = { type: 'prometheus', uid: 'remcode-prometheus' } as const;

/** Grafana's grid is 24 columns wide. */
export const GRID_COLUMNS = 24;

/** Grafana unit ids used here. */
export type Unit = 'ops' | 'reqps' | 's' | 'bytes' | 'percentunit' | 'short' | 'none';

export interface QueryDef {
  readonly expr: string;
  readonly legend: string;
  /**
   * Why this query's series may hold one value for the whole of the live-data test: the figure changes
   * only on an event the test cannot cause (a node failing). Such a series must still appear during the
   * test; every other query must show a value that moved.
   */
  readonly steady?: string;
}

export interface PanelDef {
  readonly title: string;
  readonly description: string;
  readonly unit: Unit;
  /** Columns of 24. */
  readonly width: number;
  /** Rows of about 30 px; default 8. */
  readonly height?: number;
  readonly queries: readonly QueryDef[];
  readonly stacked?: boolean;
  readonly min?: number;
}

export interface RowDef {
  readonly title: string;
  readonly panels: readonly PanelDef[];
}

/** Events drawn on every time series of the dashboard, from a query that is non-zero at the event. */
export interface AnnotationDef {
  readonly name: string;
  readonly expr: string;
  readonly title: string;
  readonly text: string;
  readonly color: string;
}

export interface DashboardDef {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly RowDef[];
  readonly annotations?: readonly AnnotationDef[];
}

export interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Target {
  readonly refId: string;
  readonly datasource: typeof DATASOURCE;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: true;
}

/** The subset of Grafana's dashboard model written here (schemaVersion 39). */
export interface GrafanaPanel {
  readonly id: number;
  readonly type: 'row' | 'timeseries';
  readonly title: string;
  readonly gridPos: GridPos;
  readonly description?: string;
  readonly datasource?: typeof DATASOURCE;
  readonly targets?: readonly Target[];
  readonly fieldConfig?: unknown;
  readonly options?: unknown;
  readonly collapsed?: boolean;
  readonly panels?: readonly GrafanaPanel[];
}

export interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly version: number;
  readonly editable: boolean;
  readonly graphTooltip: number;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly timezone: string;
  readonly templating: { readonly list: readonly unknown[] };
  readonly annotations: { readonly list: readonly unknown[] };
  readonly panels: readonly GrafanaPanel[];
}

const DEFAULT_HEIGHT = 8;

/** Lays the rows out top to bottom and each row's panels left to right, wrapping at 24 columns. */
export function renderDashboard(def: DashboardDef): GrafanaDashboard {
  const panels: GrafanaPanel[] = [];
  let id = 0;
  let y = 0;
  for (const row of def.rows) {
    panels.push({
      id: ++id,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: GRID_COLUMNS, h: 1 },
      panels: [],
    });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const panel of row.panels) {
      if (panel.width < 1 || panel.width > GRID_COLUMNS)
        throw new Error(`${def.uid}: panel "${panel.title}" is ${panel.width} columns wide`);
      const h = panel.height ?? DEFAULT_HEIGHT;
      if (x + panel.width > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push(renderPanel(++id, panel, { x, y, w: panel.width, h }));
      x += panel.width;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return {
    uid: def.uid,
    title: def.title,
    description: def.description,
    tags: ['remcode'],
    schemaVersion: 39,
    version: 1,
    editable: false,
    // Shared crosshair: a spike in one panel lines up with the others.
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    templating: { list: [] },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        ...(def.annotations ?? []).map((a) => ({
          datasource: DATASOURCE,
          enable: true,
          expr: a.expr,
          iconColor: a.color,
          name: a.name,
          step: '15s',
          titleFormat: a.title,
          textFormat: a.text,
          useValueForTime: false,
        })),
      ],
    },
    panels,
  };
}

function renderPanel(id: number, def: PanelDef, gridPos: GridPos): GrafanaPanel {
  return {
    id,
    type: 'timeseries',
    title: def.title,
    description: def.description,
    datasource: DATASOURCE,
    gridPos,
    targets: def.queries.map((q, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
    fieldConfig: {
      defaults: {
        unit: def.unit,
        ...(def.min === undefined ? {} : { min: def.min }),
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: def.stacked ? 30 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: def.stacked ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

/** Every query of a dashboard definition with the panel it belongs to. */
export function dashboardQueries(def: DashboardDef): { panel: string; query: QueryDef }[] {
  return def.rows.flatMap((row) =>
    row.panels.flatMap((panel) => panel.queries.map((query) => ({ panel: panel.title, query }))),
  );
}
