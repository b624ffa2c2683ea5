/**
 * One part of the platform on the Swarm stack killed outright under a steady load of submissions, as a
 * node's OOM killer or a crash would: the four kills of the reliability tests and of
 * `npm run bench:restarts -- --swarm`. Clients send each POST once, with an Idempotency-Key (so that the
 * edge may send it again to another webapp), and never repeat it themselves; Swarm restarts the task.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyAccepted } from './load.js';
import type { PlatformStack } from './platform-stack.js';
import { docker } from './swarm.js';

export const KILLED_PARTS = ['executor', 'redis', 'postgres', 'webapp'] as const;
export type Killed = (typeof KILLED_PARTS)[number];

export interface KillRow {
  readonly killed: Killed;
  readonly accepted: number;
  /** Why each refused submission was refused: an HTTP status and code, or a network error. */
  readonly rejected: readonly string[];
  /** Accepted and never finished. */
  readonly lost: number;
  /** Finished with output other than their program's. */
  readonly wrong: number;
  /** Rows stored beyond the accepted submissions: a POST that created a second submission. */
  readonly storedTwice: number;
  /** Runs delivered again after their executor died (each still stores one result). */
  readonly deliveredAgain: number;
}

export interface KillOptions {
  /** Default 60. */
  readonly submissions?: number;
  /** Submissions per second. Default 20. */
  readonly rate?: number;
  /** How long into the load the task is killed. Default 1 s. */
  readonly killAtMs?: number;
}

/** psql in the stack's Postgres task, as the database owner. */
async function sql(platform: PlatformStack, query: string): Promise<string> {
  const [postgres] = await platform.containers('postgres');
  if (!postgres) throw new Error('no running postgres task');
  const out = await platform.exec(
    postgres.Id,
    ['psql', '-U', 'postgres', '-d', 'remcode', '-tAc', query],
    'postgres',
  );
  return out.trim();
}

/**
 * Sends the load, SIGKILLs one running task of `killed` while it runs, waits for Swarm to restore the
 * service, then for every accepted submission to finish, and counts.
 */
export async function killUnderLoad(
  platform: PlatformStack,
  killed: Killed,
  options: KillOptions = {},
): Promise<KillRow> {
  const submissions = options.submissions ?? 60;
  const rate = options.rate ?? 20;
  const before = Number(await sql(platform, 'SELECT count(*) FROM submissions'));
  const accepted = new Map<string, string>();
  const rejected: string[] = [];
  const send = async (n: number): Promise<void> => {
    try {
      const response = await fetch(`${platform.base}/api/v1/submissions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `${platform.stack}-${killed}-${before}-${n}`,
        },
        body: JSON.stringify({ language: 'python', source: `print("${killed} ${n}")` }),
      });
      const body = (await response.json().catch(() => ({}))) as { id?: string; code?: string };
      if (response.status === 201 && body.id !== undefined) accepted.set(body.id, `${killed} ${n}\n`);
      else rejected.push(`${response.status} ${body.code ?? ''}`.trim());
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      rejected.push(cause?.code ?? (error instanceof Error ? error.message : String(error)));
    }
  };
  const kill = (async () => {
    await sleep(options.killAtMs ?? 1_000);
    const [victim] = await platform.containers(killed);
    if (!victim) throw new Error(`no running ${killed} task`);
    await docker.getContainer(victim.Id).kill({ signal: 'SIGKILL' });
  })();
  const sent: Promise<void>[] = [];
  const began = Date.now();
  for (let n = 0; n < submissions; n++) {
    const due = began + (n * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    sent.push(send(n));
  }
  await Promise.all(sent);
  await kill;
  await platform.settled(killed);
  const { wrong, unfinished } = await verifyAccepted(platform.base, accepted, 180_000);
  const stored = Number(await sql(platform, 'SELECT count(*) FROM submissions')) - before;
  // Ids come from the API's answers (UUIDs), never from a user.
  const ids = [...accepted.keys()].filter((id) => /^[0-9a-f-]{36}$/.test(id));
  const again =
    ids.length === 0
      ? 0
      : Number(
          await sql(
            platform,
            `SELECT count(*) FROM submissions WHERE attempts > 1 AND id IN (${ids.map((id) => `'${id}'`).join(',')})`,
          ),
        );
  return {
    killed,
    accepted: accepted.size,
    rejected,
    lost: unfinished.length,
    wrong: wrong.length,
    storedTwice: stored - accepted.size,
    deliveredAgain: again,
  };
}

/** The rows as the Markdown table of docs/operations.md. */
export function killTable(rows: readonly KillRow[]): string {
  const lines = [
    '| killed | accepted | rejected | lost | run twice | delivered again |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const reasons = new Map<string, number>();
    for (const why of r.rejected) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    const why = [...reasons].map(([reason, n]) => `${n} × ${reason}`).join(', ');
    lines.push(
      `| ${r.killed} | ${r.accepted} | ${r.rejected.length}${why ? ` (${why})` : ''} | ${r.lost + r.wrong} | ${r.storedTwice} | ${r.deliveredAgain} |`,
    );
  }
  return lines.join('\n');
}
