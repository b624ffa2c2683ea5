/**
 * `controller status`: reads the running daemon's `/status` over loopback and prints it for a person,
 * so an operator on the manager sees services, autoscaling decisions and scale-ins without
 * `docker exec`.
 */
import type { ServiceAutoscaleStatus } from './autoscale/autoscaler.js';
import type { DaemonStatus } from './daemon.js';

interface StatusAnswer {
  readonly controller: DaemonStatus;
  readonly services: readonly {
    name: string;
    condition: string;
    desiredReplicas: number;
    runningReplicas: number;
    message: string;
  }[];
  readonly autoscale?: readonly ServiceAutoscaleStatus[];
}

export class StatusUnavailableError extends Error {
  override readonly name = 'StatusUnavailableError';
}

export async function fetchStatus(url: string): Promise<StatusAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new StatusUnavailableError(`no controller answers at ${url}; is "controller run" running?`, {
      cause: error,
    });
  }
  if (!response.ok) throw new StatusUnavailableError(`${url} answered HTTP ${response.status}`);
  return (await response.json()) as StatusAnswer;
}

const time = (at: number): string => new Date(at).toISOString().slice(11, 19);

export function formatStatus(status: StatusAnswer): string {
  const lines: string[] = [];
  const c = status.controller;
  lines.push(
    `controller ${c.state}, generation ${c.generation}, last pass ${c.lastPassAt ?? 'never'}: ${c.lastPassResult ?? '-'}`,
  );
  for (const issue of c.fileErrors) lines.push(`  file error: ${issue.path}: ${issue.message}`);
  lines.push('', 'services:');
  for (const s of status.services) {
    lines.push(
      `  ${s.name.padEnd(16)} ${s.condition.padEnd(12)} ${s.runningReplicas}/${s.desiredReplicas}${s.message ? `  ${s.message}` : ''}`,
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
