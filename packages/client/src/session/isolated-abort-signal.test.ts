import { getEventListeners, once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withIsolatedAbortSignals } from './isolated-abort-signal.js';

let server: Server;
let origin: string;
/** The open streaming responses, ended by the tests. */
const streams: ServerResponse[] = [];
const closedStreams: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/empty') {
      res.writeHead(204).end();
    } else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      streams.push(res);
      res.on('close', () => closedStreams.push(res));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of streams) res.end();
  server.closeAllConnections();
  server.close();
});

const isolated = withIsolatedAbortSignals((input, init) => fetch(input, init));
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('withIsolatedAbortSignals', () => {
  it('leaves no listener on a shared signal once each answer has been read (plain fetch leaves one per request)', async () => {
    const shared = new AbortController().signal;
    for (let i = 0; i < 50; i++) {
      const response = await isolated(`${origin}/json`, { signal: shared });
      expect(await response.json()).toEqual({ ok: true });
      expect(listeners(shared)).toBe(0);
    }
    // The reason for the wrapper: Node's fetch keeps its listener on the signal it was given.
    const plain = await fetch(`${origin}/json`, { signal: shared });
    await plain.json();
    expect(listeners(shared)).toBeGreaterThan(0);
  });

  it('keeps status, headers, url and body of the answer', async () => {
    const response = await isolated(`${origin}/json`, { signal: new AbortController().signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.url).toBe(`${origin}/json`);
    expect(await response.text()).toBe('{"ok":true}');
  });

  it('aborts a streaming answer when the shared signal aborts, and then lets go of it', async () => {
    const controller = new AbortController();
    const response = await isolated(`${origin}/stream`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    expect(listeners(controller.signal)).toBe(1);
    const closed = closedStreams.length;
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await expect.poll(() => closedStreams.length, { timeout: 2000 }).toBe(closed + 1);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('lets go of the shared signal when the reader cancels the body', async () => {
    const shared = new AbortController().signal;
    const response = await isolated(`${origin}/stream`, { signal: shared });
    expect(listeners(shared)).toBe(1);
    await response.body?.cancel();
    expect(listeners(shared)).toBe(0);
  });

  it('lets go of the shared signal for an answer without a body and for a failed request', async () => {
    const shared = new AbortController().signal;
    const empty = await isolated(`${origin}/empty`, { signal: shared });
    expect(empty.status).toBe(204);
    expect(listeners(shared)).toBe(0);
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await expect(isolated(`http://127.0.0.1:${port}/`, { signal: shared })).rejects.toThrow();
    expect(listeners(shared)).toBe(0);
  });

  it('passes an already aborted signal and a request without one through unchanged', async () => {
    const aborted = AbortSignal.abort();
    await expect(isolated(`${origin}/json`, { signal: aborted })).rejects.toThrow();
    const response = await isolated(`${origin}/json`);
    expect(await response.json()).toEqual({ ok: true });
  });
});
