/**
 * Reads the rule files and the scrape configuration in this folder, for the tests that check them
 * against live data and for the generated configuration those tests run Prometheus with.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { load } from 'js-yaml';

export const PROMETHEUS_DIR = fileURLToPath(new URL('./', import.meta.url));
export const CONFIG_FILE = `${PROMETHEUS_DIR}prometheus.yml`;
export const RULE_FILES = ['rules/recording.yml', 'rules/alerts.yml'] as const;

const Rule = Type.Union([
  Type.Object({ record: Type.String(), expr: Type.String(), labels: Type.Optional(Type.Unknown()) }),
  Type.Object({
    alert: Type.String(),
    expr: Type.String(),
    for: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Unknown()),
    annotations: Type.Optional(Type.Unknown()),
  }),
]);
const RuleFile = Type.Object({
  groups: Type.Array(Type.Object({ name: Type.String(), rules: Type.Array(Rule) })),
});
export type RuleDef = Static<typeof Rule>;

/** Only the parts of a scrape job that the local test configuration keeps. */
const ScrapeJob = Type.Object({ job_name: Type.String(), metrics_path: Type.Optional(Type.String()) });
const ConfigFile = Type.Object({
  global: Type.Record(Type.String(), Type.Unknown()),
  rule_files: Type.Array(Type.String()),
  scrape_configs: Type.Array(ScrapeJob),
});
export type ScrapeJobDef = Static<typeof ScrapeJob>;
export type PrometheusConfig = Static<typeof ConfigFile>;

async function readYaml<T extends TSchema>(file: string, schema: T): Promise<Static<T>> {
  const data = load(await readFile(file, 'utf8'));
  const errors = [...Value.Errors(schema, data)];
  if (errors.length > 0)
    throw new Error(`${file}: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
  return data;
}

/** Every rule of every rule file the configuration loads, in file order. */
export async function readRules(): Promise<RuleDef[]> {
  const rules: RuleDef[] = [];
  for (const file of RULE_FILES) {
    const parsed = await readYaml(`${PROMETHEUS_DIR}${file}`, RuleFile);
    for (const group of parsed.groups) rules.push(...group.rules);
  }
  return rules;
}

export function readConfig(): Promise<PrometheusConfig> {
  return readYaml(CONFIG_FILE, ConfigFile);
}
