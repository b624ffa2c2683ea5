/**
 * Follows one submission until it ends: the event stream for progress and live output, then one GET for
 * the stored result. If the stream cannot be opened, the page falls back to polling.
 */
import { ApiError, getSubmission, parseSubmission, type Submission } from './api.js';
import { decodeBase64 } from './text.js';
import type { Phase } from './result.js';

export interface WatchHandlers {
  phase(phase: Phase): void;
  output(stream: 'stdout' | 'stderr', text: string): void;
  done(submission: Submission): void;
  failed(message: string): void;
}

const POLL_MS = 1000;

function parse(data: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function watchSubmission(
  id: string,
  handlers: WatchHandlers,
  encoding: 'utf8' | 'base64' = 'utf8',
): () => void {
  let finished = false;
  let source: EventSource | null = null;
  let pollTimer: number | undefined;
  const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  const stop = (): void => {
    finished = true;
    source?.close();
    if (pollTimer !== undefined) clearTimeout(pollTimer);
  };

  const fetchFinal = async (): Promise<void> => {
    try {
      const sub = await getSubmission(id);
      performance.mark('remcode:result-received');
      if (sub.state === 'finished' || sub.state === 'cancelled') {
        stop();
        handlers.done(sub);
      } else if (!source || source.readyState === EventSource.CLOSED) {
        pollTimer = window.setTimeout(() => void fetchFinal(), POLL_MS);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        stop();
        handlers.failed(error.message);
      } else if (!finished) {
        pollTimer = window.setTimeout(() => void fetchFinal(), POLL_MS);
      }
    }
  };

  const onState = (data: Record<string, unknown>): void => {
    const state = data['state'];
    if (state === 'queued' || state === 'compiling' || state === 'running' || state === 'testing')
      handlers.phase(state);
  };

  const onOutput = (data: Record<string, unknown>): void => {
    const stream = data['stream'] === 'stderr' ? 'stderr' : 'stdout';
    const chunk = typeof data['data'] === 'string' ? data['data'] : '';
    if (data['encoding'] === 'base64' || encoding === 'base64') {
      try {
        handlers.output(stream, decoder[stream].decode(decodeBase64(chunk), { stream: true }));
        return;
      } catch {
        // not base64 after all: show it as sent
      }
    }
    handlers.output(stream, chunk);
  };

  // The `result` event carries the whole stored submission, so no further request is needed.
  const onEnd = (data: Record<string, unknown>): void => {
    if (finished) return;
    source?.close();
    if (data['state'] === 'finished' && typeof data['id'] === 'string') {
      performance.mark('remcode:result-received');
      stop();
      handlers.done(parseSubmission(data));
    } else {
      void fetchFinal();
    }
  };
  const onEvent = (e: Event): void => onEnd(parse((e as MessageEvent<string>).data));

  try {
    source = new EventSource(`/api/v1/submissions/${encodeURIComponent(id)}/events`);
  } catch {
    source = null;
    void fetchFinal();
    return stop;
  }
  source.addEventListener('state', (e) => onState(parse((e as MessageEvent<string>).data)));
  source.addEventListener('output', (e) => onOutput(parse((e as MessageEvent<string>).data)));
  source.addEventListener('result', onEvent);
  source.addEventListener('cancelled', onEvent);
  source.onmessage = (e: MessageEvent<string>) => {
    const data = parse(e.data);
    if (data['type'] === 'state') onState(data);
    else if (data['type'] === 'output') onOutput(data);
    else if (data['type'] === 'result' || data['type'] === 'cancelled') onEnd(data);
  };
  source.onerror = () => {
    // The browser reconnects by itself (resuming with Last-Event-ID); a closed stream means it gave up.
    if (!finished && source?.readyState === EventSource.CLOSED) void fetchFinal();
  };
  return stop;
}
