/** One Server-Sent Event as a client sees it; comments and the `retry` field are left out. */
export interface SseEvent {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
}

/** The events of an SSE response body, in order, until the stream ends. */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields: { event?: string; id?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon);
        if (key === 'event' || key === 'id' || key === 'data')
          fields[key] = line.slice(colon + 1).trimStart();
      }
      if (fields.event !== undefined || fields.data !== undefined) yield fields;
    }
  }
}
