/**
 * Follows one submission until it ends: the event stream for progress and live output, then one GET for
 * the stored result. The browser reconnects a dropped stream by itself (with Last-Event-ID); when it
 * gives up (the server answered an error while it restarted), the page reads the submission and, if it
 * is not finished, opens the stream again after the last event it saw, so nothing is shown twice or
 * missed. If no stream can be opened at all, the page falls back to polling.
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
  // The id of the last event handled, so that a stream opened again resumes after it.
  let lastEventId = '';
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
        pollTimer = window.setTimeout(() => (source ? open() : void fetchFinal()), POLL_MS);
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
  const seen = (e: Event): Record<string, unknown> => {
    const message = e as MessageEvent<string>;
    if (message.lastEventId) lastEventId = message.lastEventId;
    return parse(message.data);
  };
  const onEvent = (e: Event): void => onEnd(seen(e));

  function open(): void {
    if (finished) return;
    const query = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : '';
    const stream = new EventSource(`/api/v1/submissions/${encodeURIComponent(id)}/events${query}`);
    source = stream;
    stream.addEventListener('state', (e) => onState(seen(e)));
    stream.addEventListener('output', (e) => onOutput(seen(e)));
    stream.addEventListener('result', onEvent);
    stream.addEventListener('cancelled', onEvent);
    stream.onmessage = (e: MessageEvent<string>) => {
      const data = seen(e);
      if (data['type'] === 'state') onState(data);
      else if (data['type'] === 'output') onOutput(data);
      else if (data['type'] === 'result' || data['type'] === 'cancelled') onEnd(data);
    };
    stream.onerror = () => {
      // The browser reconnects by itself (resuming with Last-Event-ID); a closed stream means it gave
      // up: read the submission, and follow it again if it is still running.
      if (!finished && stream === source && stream.readyState === EventSource.CLOSED) void fetchFinal();
    };
  }

  try {
    open();
  } catch {
    source = null;
    void fetchFinal();
  }
  return stop;
}
