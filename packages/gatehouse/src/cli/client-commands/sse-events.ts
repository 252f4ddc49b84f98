/**
 * A reader of `text/event-stream` bodies (HTML Living Standard § Server-sent events, "Interpreting
 * an event stream"), as the MCP Streamable HTTP transport uses them: each event's `data` is one
 * JSON-RPC message. Only what the bridge needs: `data` (joined lines), `event`, `id`; `retry` and
 * comments are ignored; an event whose data is empty (a priming event) or that the stream ends
 * before its blank line is not dispatched.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event` field; `'message'` when absent. */
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** Reads events from `body` until it ends. */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Lines end with CRLF, LF or CR. The piece after the last line end is incomplete: kept for the
      // next chunk (a CR at the very end may be half of a CRLF), dropped at the end of the stream.
      const lines = buffer.split(done ? /\r\n|\n|\r/ : /\r\n|\n|\r(?!$)/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          const joined = data.join('\n');
          if (joined !== '') yield { event: event || 'message', data: joined, id };
          data = [];
          event = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
