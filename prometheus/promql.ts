/**
 * The metric names a PromQL expression reads. A small scanner rather than a parser: it drops strings,
 * label matchers, ranges and the label lists of grouping modifiers, then keeps each identifier that is
 * neither a function call nor a keyword. Enough for the expressions in this repository's rules and
 * dashboards, which the tests also run through Prometheus itself.
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    // Strings (label values, template text) first, so that braces or names inside them do not count.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/#[^\n]*/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const after = stripped.slice(match.index + name.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    // Durations and numbers such as 5m or 1e-9 start with a digit and never match; "e" of 1e-9 would.
    const before = stripped[match.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(name);
  }
  return [...names].sort();
}

/**
 * The series a metric name can stand for in an exposition: a histogram `x` is read as `x_bucket`,
 * `x_sum` and `x_count`, so a query naming any of those needs `x` to exist.
 */
export function baseMetricName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}
