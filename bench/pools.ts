/**
 * `npm run bench:pools`: how submissions reach executor pools with different languages, two ways, in
 * one run against the local Redis with real BullMQ workers:
 *
 * - one queue per pool (what RemCode does): the webapp puts each job on its pool's queue;
 * - one shared queue with routing in the executors: every worker takes whatever job comes next and
 *   hands back (moveToWait, as a draining executor does) a job in a language its pool lacks.
 *
 * Two pools of two workers each; each worker holds one job at a time, and a run takes RUN_MS. A
 * quarter of the jobs are for the small pool's language, the rest for the big pool's. Prints, per way,
 * the time until every job ran, jobs per second, deliveries per job (1 is ideal; more are jobs handed
 * to a worker that could not run them), and the ratio of the two.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env.BENCH_JOBS ?? 400);
const RUN_MS = 5;
const WORKERS_PER_POOL = 2;
const POOLS = [
  { name: 'small', language: 'python' },
  { name: 'big', language: 'java' },
] as const;

interface Data {
  readonly language: string;
}

interface Outcome {
  readonly seconds: number;
  readonly deliveries: number;
}

function languageOf(i: number): string {
  return i % 4 === 0 ? 'python' : 'java';
}

async function measure(prefix: string, shared: boolean): Promise<Outcome> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queueName = (pool: string): string => (shared ? 'submissions' : `submissions-${pool}`);
  const queues = new Map<string, Queue<Data>>();
  for (const pool of POOLS) {
    const name = queueName(pool.name);
    if (!queues.has(name)) queues.set(name, new Queue<Data>(name, { connection, prefix }));
  }
  let deliveries = 0;
  let done = 0;
  const workers: Worker<Data>[] = [];
  for (const pool of POOLS) {
    for (let w = 0; w < WORKERS_PER_POOL; w++) {
      const processor = async (job: Job<Data>, token?: string): Promise<void> => {
        deliveries++;
        if (job.data.language !== pool.language) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        await sleep(RUN_MS);
        done++;
      };
      workers.push(
        new Worker<Data>(queueName(pool.name), processor, {
          connection: connection.duplicate(),
          prefix,
          concurrency: 1,
          autorun: false,
        }),
      );
    }
  }
  const start = performance.now();
  for (const worker of workers) void worker.run();
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  const jobs = Array.from({ length: JOBS }, (_, i) => {
    const language = languageOf(i);
    const pool = POOLS.find((p) => p.language === language)!;
    return { queue: queueName(pool.name), data: { language } };
  });
  for (const [name, queue] of queues) {
    await queue.addBulk(
      jobs
        .filter((job) => job.queue === name)
        .map((job) => ({ name: 'run', data: job.data, opts: { removeOnComplete: true } })),
    );
  }
  while (done < JOBS) await sleep(5);
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(workers.map((worker) => worker.close()));
  for (const queue of queues.values()) await queue.obliterate({ force: true }).catch(() => undefined);
  await Promise.all([...queues.values()].map((queue) => queue.close()));
  connection.disconnect();
  return { seconds, deliveries };
}

function show(label: string, o: Outcome): void {
  console.log(
    `${label.padEnd(40)} ${o.seconds.toFixed(2).padStart(6)} s  ${(JOBS / o.seconds).toFixed(0).padStart(5)} jobs/s  ${(o.deliveries / JOBS).toFixed(2)} deliveries/job`,
  );
}

const prefix = `bench-pools-${randomBytes(3).toString('hex')}`;
console.log(
  `${JOBS} jobs (1 in 4 for the small pool), ${POOLS.length} pools x ${WORKERS_PER_POOL} workers, ${RUN_MS} ms per run`,
);
// Alternated, so that neither way always runs on a warmer (or busier) machine.
const perPool: Outcome[] = [];
const sharedQueue: Outcome[] = [];
for (let round = 0; round < 3; round++) {
  perPool.push(await measure(`${prefix}-a${round}`, false));
  sharedQueue.push(await measure(`${prefix}-b${round}`, true));
}
const median = (list: Outcome[]): Outcome => [...list].sort((a, b) => a.seconds - b.seconds)[1]!;
const a = median(perPool);
const b = median(sharedQueue);
show('one queue per pool (median of 3)', a);
show('shared queue, hand back (median of 3)', b);
console.log(`shared queue / queue per pool: ${(b.seconds / a.seconds).toFixed(2)}x the time`);
