/**
 * `controller status`: reads the running daemon's `/status` and prints it for a person, so an operator
 * on the manager sees services, autoscaling decisions and scale-ins without `docker exec`: over the
 * Unix socket when the controller runs in a container (as `swarm:up` starts it), else over loopback.
 */
import { request as httpRequest } from 'node:http';
import type { ServiceAutoscaleStatus } from './autoscale/autoscaler.js';
import type { DaemonStatus, PassResult } from './daemon.js';
import { holds, type Condition } from './status/conditions.js';

interface StatusAnswer {
  readonly controller: DaemonStatus;
  readonly services: readonly {
    name: string;
    conditions: readonly Condition[];
    desiredReplicas: number;
    runningReplicas: number;
  }[];
  readonly autoscale?: readonly ServiceAutoscaleStatus[];
}

export class StatusUnavailableError extends Error {
  override readonly name = 'StatusUnavailableError';
}

/** Where the daemon answers: its loopback port, or the Unix socket `swarm:up` mounts on the manager. */
export type StatusTarget = { readonly url: string } | { readonly socketPath: string };

function describeTarget(target: StatusTarget): string {
  return 'url' in target ? target.url : `the socket ${target.socketPath}`;
}

/** One GET of /status; a plain http.request because fetch cannot speak over a Unix socket. */
function getStatus(target: StatusTarget): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request =
      'url' in target
        ? httpRequest(target.url, { timeout: 5_000 })
        : httpRequest({ socketPath: target.socketPath, path: '/status', timeout: 5_000 });
    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.end();
  });
}

export async function fetchStatus(target: StatusTarget): Promise<StatusAnswer> {
  const where = describeTarget(target);
  let answer: { status: number; body: string };
  try {
    answer = await getStatus(target);
  } catch (error) {
    throw new StatusUnavailableError(`no controller answers at ${where}; is "controller run" running?`, {
      cause: error,
    });
  }
  if (answer.status !== 200) throw new StatusUnavailableError(`${where} answered HTTP ${answer.status}`);
  try {
    return JSON.parse(answer.body) as StatusAnswer;
  } catch (error) {
    throw new StatusUnavailableError(`${where} answered something that is not JSON`, { cause: error });
  }
}

const time = (at: number): string => new Date(at).toISOString().slice(11, 19);

/** The condition that says most: Stalled or Reconciling while one holds, else Ready. */
function headline(conditions: readonly Condition[]): Condition | undefined {
  return (
    holds(conditions, 'Stalled') ??
    holds(conditions, 'Reconciling') ??
    conditions.find((c) => c.type === 'Ready')
  );
}

/** `Stalled=True Blocked: <message> (generation 3)`, or `Unknown` before anything was judged. */
function describeCondition(condition: Condition | undefined): string {
  if (!condition) return 'Unknown';
  const generation =
    condition.observedGeneration === undefined ? '' : ` (generation ${condition.observedGeneration})`;
  const message = condition.message ? `: ${condition.message}` : '';
  return `${condition.type}=${condition.status} ${condition.reason}${message}${generation}`;
}

function describePass(pass: PassResult | undefined): string {
  if (!pass) return '-';
  if (pass.result === 'error') return `error: ${pass.error ?? 'unknown'}`;
  if (pass.result === 'invalid') return 'no valid desired state yet';
  return `${pass.result}: applied ${pass.applied}, failed ${pass.failed}, deferred ${pass.deferred}`;
}

export function formatStatus(status: StatusAnswer): string {
  const lines: string[] = [];
  const c = status.controller;
  lines.push(
    `controller ${c.state}, generation ${c.generation}, last pass ${c.lastPassAt ?? 'never'}: ${describePass(c.lastPassResult)}`,
    `  ${describeCondition(headline(c.conditions))}`,
  );
  for (const issue of c.fileErrors) lines.push(`  file error: ${issue.path}: ${issue.message}`);
  lines.push('', 'services:');
  for (const s of status.services) {
    lines.push(
      `  ${s.name.padEnd(16)} ${`${s.runningReplicas}/${s.desiredReplicas}`.padEnd(6)} ${describeCondition(headline(s.conditions))}`,
    );
  }
  for (const a of status.autoscale ?? []) {
    const p = a.policy;
    const flags = [p.paused ? 'paused' : '', p.dryRun ? 'dry-run' : ''].filter(Boolean).join(', ');
    lines.push(
      '',
      `autoscale ${a.service}: min ${p.min}, max ${p.max}, every ${p.intervalMs}ms${flags ? ` (${flags})` : ''}`,
    );
    if (a.scaleIn) {
      lines.push(
        `  scale-in from ${a.scaleIn.from}: retiring ${a.scaleIn.executors.length - a.scaleIn.lowered} of ${a.scaleIn.executors.length} executor(s)`,
      );
    }
    if (a.lastError) lines.push(`  last error: ${a.lastError}`);
    const [last] = a.evaluations;
    if (last) {
      for (const check of last.checks) {
        const value = check.value === undefined ? '-' : String(check.value);
        const recommendation = check.recommendation === undefined ? 'none' : String(check.recommendation);
        lines.push(
          `  check ${check.name} (${check.source}): ${check.status}, value ${value}, recommends ${recommendation}: ${check.message}`,
        );
      }
    }
    for (const e of a.evaluations.slice(0, 10)) {
      lines.push(
        `  ${time(e.at)} ${e.current} -> ${e.desired} ${e.mode}${e.apply ? ' applied' : ''}: ${e.reason}`,
      );
    }
  }
  return lines.join('\n');
}
