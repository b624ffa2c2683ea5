import { describe, expect, it } from 'vitest';
import { metricNames } from './promql.js';

describe('metricNames', () => {
  it.each([
    ['max(remcode_queue_depth)', ['remcode_queue_depth']],
    [
      'histogram_quantile(0.95, sum by (le, route) (rate(remcode_http_request_duration_seconds_bucket{route="/api/v1/x"}[5m])))',
      ['remcode_http_request_duration_seconds_bucket'],
    ],
    [
      'sum(rate(a_total{verdict="internal_error"}[5m])) / clamp_min(sum(rate(a_total[5m])), 1e-9)',
      ['a_total'],
    ],
    ['(sum(increase(b_total[10m])) or on() vector(0)) < 1 and on() count(c) > 0', ['b_total', 'c']],
    ['remcode:x:rate1m > 1.1 * remcode:y:rate1m', ['remcode:x:rate1m', 'remcode:y:rate1m']],
    ['up{job=~"webapp|executor"} == 0', ['up']],
    ['max by (service) (s) == 1 unless ignoring(kind) t offset 5m', ['s', 't']],
  ])('reads the metrics of %s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });
});
