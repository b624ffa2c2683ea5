/**
 * Writes grafana/dashboards/*.json from the typed definitions: `npx tsx grafana/src/generate.ts`.
 * The unit test fails while the committed JSON differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS } from './dashboards.js';
import { renderDashboard } from './model.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('../dashboards/', import.meta.url));

/** The file's exact text: two-space JSON and a final newline, as prettier leaves it. */
export function dashboardJson(def: Parameters<typeof renderDashboard>[0]): string {
  return `${JSON.stringify(renderDashboard(def), null, 2)}\n`;
}

async function main(): Promise<void> {
  for (const { file, def } of DASHBOARDS) {
    await writeFile(`${DASHBOARD_DIR}${file}`, dashboardJson(def));
    console.log(`wrote grafana/dashboards/${file}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
