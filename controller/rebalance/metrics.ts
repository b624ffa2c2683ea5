import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The rebalancer's metrics, on the controller's registry; names carry their units. */
export interface RebalanceMetrics {
  readonly skew: Gauge<'service'>;
  readonly movesNeeded: Gauge<'service'>;
  readonly heldMoves: Gauge<'service'>;
  readonly moves: Counter<'service' | 'result'>;
  readonly moveSeconds: Histogram<'service'>;
  readonly nodeReturns: Counter;
  readonly evaluations: Counter<'result'>;
}

export function createRebalanceMetrics(registry: Registry): RebalanceMetrics {
  const registers = [registry];
  return {
    skew: new Gauge({
      name: 'remcode_rebalance_skew_tasks',
      help: 'Most minus fewest running tasks of the service over the nodes it may use',
      labelNames: ['service'],
      registers,
    }),
    movesNeeded: new Gauge({
      name: 'remcode_rebalance_moves_needed',
      help: 'Single-task moves that would bring the service within its max_skew',
      labelNames: ['service'],
      registers,
    }),
    heldMoves: new Gauge({
      name: 'remcode_rebalance_held_moves',
      help: 'Moves the service needs that the rebalancer holds back now (window, rate limit, back-off, autoscaler, dry run, not settled)',
      labelNames: ['service'],
      registers,
    }),
    moves: new Counter({
      name: 'remcode_rebalance_moves_total',
      help: 'Moves by result: moved, no_progress, failed, aborted',
      labelNames: ['service', 'result'],
      registers,
    }),
    moveSeconds: new Histogram({
      name: 'remcode_rebalance_move_seconds',
      help: 'Time from scaling up by one to being back at the desired count',
      labelNames: ['service'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    nodeReturns: new Counter({
      name: 'remcode_rebalance_node_returns_total',
      help: 'Nodes seen becoming ready and active again',
      registers,
    }),
    evaluations: new Counter({
      name: 'remcode_rebalance_evaluations_total',
      help: 'Rebalancer evaluations by result (ok, error)',
      labelNames: ['result'],
      registers,
    }),
  };
}
