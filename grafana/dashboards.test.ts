import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS } from './src/dashboards.js';
import { DASHBOARD_DIR, dashboardJson } from './src/generate.js';
import { GRID_COLUMNS, renderDashboard } from './src/model.js';
import type { GrafanaDashboard, GrafanaPanel, GridPos } from './src/model.js';

const provisioned = load(
  await readFile(new URL('./provisioning/datasources/prometheus.yml', import.meta.url), 'utf8'),
) as { datasources: { uid: string; type: string }[] };

async function committed(file: string): Promise<GrafanaDashboard> {
  return JSON.parse(await readFile(`${DASHBOARD_DIR}${file}`, 'utf8')) as GrafanaDashboard;
}

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** What file provisioning needs of a dashboard, as a list of problems (empty when it loads cleanly). */
function provisioningProblems(dashboard: GrafanaDashboard): string[] {
  const problems: string[] = [];
  const uids = new Set(provisioned.datasources.map((d) => `${d.type}/${d.uid}`));
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(dashboard.uid)) problems.push(`uid "${dashboard.uid}"`);
  if (dashboard.title.trim() === '') problems.push('no title');
  if (!Number.isInteger(dashboard.schemaVersion)) problems.push('no schemaVersion');
  const panels: GrafanaPanel[] = [...dashboard.panels];
  const ids = new Set<number>();
  for (const [index, panel] of panels.entries()) {
    const name = `panel ${panel.id} "${panel.title}"`;
    if (ids.has(panel.id)) problems.push(`${name}: duplicate id`);
    ids.add(panel.id);
    const { x, y, w, h } = panel.gridPos;
    if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w < 1 || h < 1 || x + w > GRID_COLUMNS)
      problems.push(`${name}: gridPos ${JSON.stringify(panel.gridPos)} off the grid`);
    for (const other of panels.slice(0, index))
      if (overlaps(panel.gridPos, other.gridPos)) problems.push(`${name} overlaps panel ${other.id}`);
    if (panel.type === 'row') continue;
    const refs = [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)];
    for (const ref of refs)
      if (ref === undefined || !uids.has(`${ref.type}/${ref.uid}`))
        problems.push(`${name}: data source ${JSON.stringify(ref)} is not provisioned`);
    if ((panel.targets ?? []).length === 0) problems.push(`${name}: no query`);
    const refIds = (panel.targets ?? []).map((t) => t.refId);
    if (new Set(refIds).size !== refIds.length) problems.push(`${name}: duplicate refId`);
    for (const target of panel.targets ?? [])
      if (target.expr.includes('${')) problems.push(`${name}: import-time variable in ${target.expr}`);
  }
  return problems;
}

describe('dashboards', () => {
  it.each(DASHBOARDS.map((d) => [d.file, d] as const))(
    '%s is what the generator writes (run npx tsx grafana/src/generate.ts)',
    async (file, { def }) => {
      expect(await readFile(`${DASHBOARD_DIR}${file}`, 'utf8')).toBe(dashboardJson(def));
    },
  );

  it.each(DASHBOARDS.map((d) => [d.file] as const))('%s loads under file provisioning', async (file) => {
    expect(provisioningProblems(await committed(file))).toEqual([]);
  });

  it('have distinct uids', () => {
    const uids = DASHBOARDS.map((d) => d.def.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('the checks catch a duplicate id, an overlap, a foreign data source and an import variable', () => {
    const good = renderDashboard(DASHBOARDS[0]!.def);
    const [row, first, second] = good.panels as [GrafanaPanel, GrafanaPanel, GrafanaPanel];
    const broken: GrafanaDashboard = {
      ...good,
      panels: [
        row,
        first,
        {
          ...second,
          id: first.id,
          gridPos: { ...first.gridPos, x: first.gridPos.x + 1 },
          datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' } as never,
          targets: (second.targets ?? []).map((t) => ({ ...t, expr: 'rate(x[${__interval}])' })),
        },
      ],
    };
    const problems = provisioningProblems(broken).join('\n');
    expect(problems).toContain('duplicate id');
    expect(problems).toContain('overlaps');
    expect(problems).toContain('is not provisioned');
    expect(problems).toContain('import-time variable');
  });
});
