/**
 * Parses YAML into a plain value plus a map from JSON pointer to source line, so that a schema error
 * on `/services/webapp/replicas` can name the line where the operator wrote it.
 */
import { EVENT_ID, YAMLException, constructFromEvents, getScalarValue, parseEvents } from 'js-yaml';
import type { Event } from 'js-yaml';

export interface Located {
  readonly value: unknown;
  /** JSON pointer → 1-based line of the value; for mapping entries also `pointer + '#key'` → line of the key. */
  readonly lines: ReadonlyMap<string, number>;
}

export class YamlSyntaxError extends Error {
  override readonly name = 'YamlSyntaxError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function lineOf(lineStarts: readonly number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

function startOf(event: Event): number {
  switch (event.type) {
    case EVENT_ID.SCALAR:
      return event.anchorStart >= 0
        ? event.anchorStart
        : event.tagStart >= 0
          ? event.tagStart
          : event.valueStart;
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return event.start;
    case EVENT_ID.ALIAS:
      return event.anchorStart;
    default:
      return -1;
  }
}

export function parseYamlWithLines(source: string, file: string): Located {
  let events: Event[];
  let documents: unknown[];
  try {
    events = parseEvents(source, { filename: file });
    documents = constructFromEvents(events, { source, filename: file });
  } catch (error) {
    if (error instanceof YAMLException) {
      throw new YamlSyntaxError(file, (error.mark?.line ?? 0) + 1, error.reason);
    }
    throw error;
  }
  if (documents.length !== 1) {
    throw new YamlSyntaxError(
      file,
      1,
      documents.length === 0 ? 'the file is empty' : 'expected exactly one YAML document',
    );
  }
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lines = new Map<string, number>();
  let index = 0;
  const record = (pointer: string, event: Event): void => {
    const start = startOf(event);
    if (start >= 0 && !lines.has(pointer)) lines.set(pointer, lineOf(lineStarts, start));
  };
  // Walks one node starting at events[index], recording its pointer, and leaves index after it.
  const walk = (pointer: string): void => {
    const event = events[index++];
    if (event === undefined) return;
    record(pointer, event);
    if (event.type === EVENT_ID.MAPPING) {
      while (events[index] !== undefined && events[index]?.type !== EVENT_ID.POP) {
        const keyEvent = events[index];
        const key = keyEvent?.type === EVENT_ID.SCALAR ? getScalarValue(source, keyEvent) : `#${index}`;
        const child = `${pointer}/${escapePointer(key)}`;
        if (keyEvent !== undefined) record(`${child}#key`, keyEvent);
        walk(`${child}#keynode`);
        walk(child);
      }
      index++;
    } else if (event.type === EVENT_ID.SEQUENCE) {
      let item = 0;
      while (events[index] !== undefined && events[index]?.type !== EVENT_ID.POP)
        walk(`${pointer}/${item++}`);
      index++;
    }
  };
  while (index < events.length) {
    const event = events[index];
    if (event?.type === EVENT_ID.DOCUMENT) {
      index++;
      walk('');
      index++;
    } else {
      index++;
    }
  }
  return { value: documents[0], lines };
}

/** The line closest to a pointer: the value itself, else the key, else the nearest ancestor. */
export function lineFor(lines: ReadonlyMap<string, number>, pointer: string, preferKey = false): number {
  let current = pointer;
  for (;;) {
    const found = preferKey
      ? (lines.get(`${current}#key`) ?? lines.get(current))
      : (lines.get(current) ?? lines.get(`${current}#key`));
    if (found !== undefined) return found;
    if (current === '') return 1;
    current = current.slice(0, current.lastIndexOf('/'));
  }
}
