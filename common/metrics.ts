import { Registry, collectDefaultMetrics } from 'prom-client';

/** An explicit registry per process, with the default process metrics and a `program` label. */
export function createRegistry(program: 'webapp' | 'executor' | 'controller'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Buckets for latencies from a millisecond to half a minute. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
