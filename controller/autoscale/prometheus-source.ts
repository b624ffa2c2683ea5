/**
 * Instant queries against the Prometheus HTTP API for the autoscaler's Prometheus checks. A query must
 * return exactly one value. An empty answer is "no data", never 0: a series that disappears at peak
 * (a restarted target, a renamed metric) must not read as idle and drop replicas to the minimum.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Reading } from './decide.js';

const Sample = Type.Tuple([Type.Number(), Type.String()]);
const QueryAnswer = Type.Union([
  Type.Object({
    status: Type.Literal('success'),
    data: Type.Union([
      Type.Object({
        resultType: Type.Literal('vector'),
        result: Type.Array(Type.Object({ metric: Type.Record(Type.String(), Type.String()), value: Sample })),
      }),
      Type.Object({ resultType: Type.Literal('scalar'), result: Sample }),
      Type.Object({ resultType: Type.Union([Type.Literal('matrix'), Type.Literal('string')]) }),
    ]),
  }),
  Type.Object({ status: Type.Literal('error'), errorType: Type.String(), error: Type.String() }),
]);
const answerCheck = TypeCompiler.Compile(QueryAnswer);
type Answer = Static<typeof QueryAnswer>;

export interface PrometheusSourceOptions {
  /** Per query; a slow Prometheus must not hold up the evaluation. Default 1.5 s. */
  readonly timeoutMs?: number;
}

export class PrometheusSource {
  readonly #timeoutMs: number;

  constructor(options: PrometheusSourceOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 1_500;
  }

  /** Never throws: failures are readings with status `error` or `no_data`. */
  async query(baseUrl: string, query: string, now = Date.now()): Promise<Reading> {
    const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    let answer: Answer;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query, time: (now / 1000).toFixed(3) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const body: unknown = await response.json().catch(() => undefined);
      if (!answerCheck.Check(body)) {
        return { status: 'error', message: `prometheus: HTTP ${response.status} with an unexpected body` };
      }
      answer = body;
    } catch (error) {
      const message =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      return { status: 'error', message: `prometheus: ${message}` };
    }
    if (answer.status === 'error') {
      return { status: 'error', message: `prometheus: ${answer.errorType}: ${answer.error}` };
    }
    const data = answer.data;
    let raw: string;
    if (data.resultType === 'scalar') raw = data.result[1];
    else if (data.resultType === 'vector') {
      if (data.result.length === 0) return { status: 'no_data', message: 'the query returned no series' };
      if (data.result.length > 1) {
        return {
          status: 'error',
          message: `the query returned ${data.result.length} series; a check needs one (aggregate with sum, max or avg)`,
        };
      }
      raw = data.result[0]?.value[1] ?? 'NaN';
    } else {
      return { status: 'error', message: `the query returned a ${data.resultType}; a check needs one value` };
    }
    const value = Number(raw);
    // Prometheus writes NaN and ±Inf as strings; a ratio over an idle service is NaN, which is unknown.
    if (!Number.isFinite(value)) return { status: 'no_data', message: `the query returned ${raw}` };
    return { status: 'ok', value };
  }
}
