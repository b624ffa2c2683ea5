import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DIR, readRules } from './rules.js';

interface AlertCase {
  readonly alertname: string;
  readonly exp_alerts?: readonly unknown[];
}
interface TestFile {
  readonly tests: readonly { readonly alert_rule_test?: readonly AlertCase[] }[];
}

describe('alert unit tests', () => {
  it('show every alert both firing and quiet', async () => {
    const alerts = (await readRules()).flatMap((rule) => ('alert' in rule ? [rule.alert] : []));
    const file = load(await readFile(`${PROMETHEUS_DIR}tests/alerts.test.yml`, 'utf8')) as TestFile;
    const cases = file.tests.flatMap((test) => test.alert_rule_test ?? []);
    const missing = alerts.flatMap((alert) => {
      const own = cases.filter((c) => c.alertname === alert);
      return [
        ...(own.some((c) => (c.exp_alerts ?? []).length > 0) ? [] : [`${alert} firing`]),
        ...(own.some((c) => (c.exp_alerts ?? []).length === 0) ? [] : [`${alert} quiet`]),
      ];
    });
    expect(alerts.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
