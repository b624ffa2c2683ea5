/**
 * The result panel: shows a run's progress as it happens and its outcome when it ends. Output is put in
 * with text nodes only; the page never interprets what a program printed.
 */
import type { RunResult, Submission } from './api.js';
import { append, clear, h } from './dom.js';
import { cleanTerminalText, formatBytes, formatMs, type ShownOutput } from './text.js';

export type Phase = 'sending' | 'queued' | 'compiling' | 'running' | 'testing';

const PHASE_TEXT: Record<Phase, string> = {
  sending: 'Sending…',
  queued: 'Queued: waiting for a free executor…',
  compiling: 'Compiling…',
  running: 'Running…',
  // The executor reports each run as a test, including the single run of a plain submission.
  testing: 'Running…',
};

const VERDICT_TEXT: Record<string, string> = {
  accepted: 'Accepted',
  wrong_answer: 'Wrong answer',
  compile_error: 'Compile error',
  runtime_error: 'Runtime error',
  time_limit_exceeded: 'Time limit exceeded',
  memory_limit_exceeded: 'Memory limit exceeded',
  output_limit_exceeded: 'Output limit exceeded',
  internal_error: 'Internal error',
};

export function verdictText(verdict: string | null, state = 'finished'): string {
  if (state === 'cancelled') return 'Cancelled';
  if (!verdict) return 'Finished';
  return VERDICT_TEXT[verdict] ?? verdict.replace(/_/g, ' ');
}

/** Live output is capped on screen; the stored result says whether the run's own cap cut it. */
const LIVE_LIMIT = 1 << 20;

function outputBlock(title: string, shown: ShownOutput, truncated: boolean, kind: string): HTMLElement {
  const id = `out-${kind}-${Math.random().toString(36).slice(2, 8)}`;
  return h(
    'section',
    { class: `output output-${kind}`, 'aria-labelledby': id },
    h('h3', { id }, title),
    shown.note ? h('p', { class: 'note' }, shown.note) : null,
    h(
      'pre',
      { tabindex: '0', 'data-stream': kind, class: shown.hex ? 'hex' : undefined },
      shown.text === '' ? h('span', { class: 'empty' }, '(empty)') : shown.text,
    ),
    truncated
      ? h(
          'p',
          { class: 'note truncated' },
          'Truncated: the program wrote more than the output limit, and the rest was cut off.',
        )
      : null,
  );
}

function fact(list: HTMLElement, name: string, value: string, key: string): void {
  append(list, h('div', { class: 'fact', 'data-fact': key }, h('dt', {}, name), h('dd', {}, value)));
}

export class ResultPanel {
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly body: HTMLElement;
  private live = { stdout: '', stderr: '' };
  private livePre: { stdout: HTMLElement | null; stderr: HTMLElement | null } = {
    stdout: null,
    stderr: null,
  };

  constructor(heading = 'Result') {
    this.status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'result-status' });
    this.body = h('div', { class: 'result-body' });
    this.element = h(
      'section',
      { class: 'result', id: 'result', 'aria-labelledby': 'result-heading' },
      h('h2', { id: 'result-heading' }, heading),
      this.status,
      this.body,
    );
  }

  private setStatus(text: string, tone: string): void {
    this.status.textContent = text;
    this.status.dataset['tone'] = tone;
  }

  phase(phase: Phase): void {
    this.element.dataset['state'] = phase;
    this.setStatus(PHASE_TEXT[phase], 'busy');
    if (phase === 'sending') this.resetLive();
  }

  private resetLive(): void {
    this.live = { stdout: '', stderr: '' };
    this.livePre = { stdout: null, stderr: null };
    clear(this.body);
  }

  /** Appends a chunk of live output; the escape-stripping runs over the whole buffer so split sequences vanish too. */
  output(stream: 'stdout' | 'stderr', chunk: string): void {
    if (this.live[stream].length >= LIVE_LIMIT) return;
    this.live[stream] = (this.live[stream] + chunk).slice(0, LIVE_LIMIT);
    let pre = this.livePre[stream];
    if (!pre) {
      pre = h('pre', { tabindex: '0', 'data-stream': stream, 'data-live': 'true' });
      this.livePre[stream] = pre;
      append(
        this.body,
        h(
          'section',
          { class: `output output-${stream}` },
          h('h3', {}, stream === 'stdout' ? 'Output' : 'Errors (stderr)'),
          pre,
        ),
      );
    }
    pre.textContent = cleanTerminalText(this.live[stream]);
  }

  error(message: string): void {
    this.element.dataset['state'] = 'error';
    this.setStatus(message, 'error');
    this.status.setAttribute('role', 'alert');
  }

  show(sub: Submission): void {
    this.status.setAttribute('role', 'status');
    if (sub.state === 'queued') return this.phase('queued');
    if (sub.state === 'running') {
      if (!this.element.dataset['state'] || this.element.dataset['state'] === 'sending')
        this.phase('running');
      return;
    }
    this.element.dataset['state'] = sub.state;
    this.element.dataset['verdict'] = sub.verdict ?? '';
    const tone = sub.verdict === 'accepted' ? 'ok' : sub.state === 'cancelled' ? 'busy' : 'bad';
    const first = sub.tests[0];
    let text = verdictText(sub.verdict, sub.state);
    if (sub.verdict === 'time_limit_exceeded' && first?.timeLimit)
      text += first.timeLimit === 'wall' ? ' (wall clock)' : ' (CPU time)';
    this.setStatus(text, tone);
    clear(this.body);
    if (sub.message) append(this.body, h('p', { class: 'note' }, sub.message));
    if (sub.compileOutput) {
      append(
        this.body,
        outputBlock('Compiler output', sub.compileOutput, sub.compileOutputTruncated, 'compile'),
      );
    }
    // After a failed compile nothing ran, so there are no run figures to show.
    if (sub.verdict === 'compile_error') return;
    const single = sub.tests.length === 1;
    sub.tests.forEach((run, index) => {
      const container = single
        ? this.body
        : h('section', { class: 'test' }, h('h3', {}, `Test ${index + 1}: ${verdictText(run.verdict)}`));
      if (!single) append(this.body, container);
      this.renderRun(container, run);
    });
  }

  private renderRun(container: HTMLElement, run: RunResult): void {
    const facts = h('dl', { class: 'facts' });
    if (run.signal) fact(facts, 'Signal', run.signal, 'signal');
    else fact(facts, 'Exit code', run.exitCode === null ? '–' : String(run.exitCode), 'exit-code');
    fact(facts, 'CPU time', formatMs(run.cpuTimeMs), 'cpu-time');
    fact(facts, 'Wall time', formatMs(run.wallTimeMs), 'wall-time');
    fact(facts, 'Memory', formatBytes(run.memoryBytes), 'memory');
    append(container, facts, outputBlock('Output', run.stdout, run.stdoutTruncated, 'stdout'));
    if (run.stderr.text !== '' || run.stderrTruncated)
      append(container, outputBlock('Errors (stderr)', run.stderr, run.stderrTruncated, 'stderr'));
  }
}
