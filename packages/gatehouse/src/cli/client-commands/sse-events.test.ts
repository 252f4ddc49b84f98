import { describe, expect, it } from 'vitest';
import { readSseEvents } from './sse-events.js';

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(chunks: string[]) {
  const events = [];
  for await (const event of readSseEvents(stream(chunks))) events.push(event);
  return events;
}

describe('readSseEvents', () => {
  it('reassembles events split anywhere across chunks, with LF, CRLF or CR line ends', async () => {
    const text = 'id: 1\ndata: {"a":1}\n\nid: 2\r\ndata: {"b":\r\ndata: 2}\r\n\r\nevent: ping\rdata: x\r\r';
    for (const size of [1, 2, 3, 7, text.length]) {
      const chunks = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(await all(chunks), `chunk size ${size}`).toEqual([
        { event: 'message', data: '{"a":1}', id: '1' },
        { event: 'message', data: '{"b":\n2}', id: '2' },
        { event: 'ping', data: 'x', id: '2' },
      ]);
    }
  });

  it('skips comments and events with empty data (priming events), and keeps the last id', async () => {
    expect(await all([': keep-alive\n\nid: p0\ndata:\n\nid: 5\n\ndata: y\n\n'])).toEqual([
      { event: 'message', data: 'y', id: '5' },
    ]);
  });

  it('drops an event the stream ends before its blank line', async () => {
    expect(await all(['data: complete\n\ndata: cut off\n'])).toEqual([
      { event: 'message', data: 'complete', id: undefined },
    ]);
  });
});
