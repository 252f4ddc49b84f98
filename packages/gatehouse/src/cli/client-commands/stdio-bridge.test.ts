/**
 * The relay of `gatehouse connect` against a scripted Streamable HTTP server on 127.0.0.1 (no
 * authorization here: `fetch` is the global one; the e2e tests cover authFetch). The server answers
 * `initialize` with JSON and a session id, `tools/call` with an SSE stream that carries a
 * server→client request and then waits for the client's answer, and offers a GET event stream that
 * ends after one event and is resumed with `Last-Event-ID`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runStdioBridge } from './stdio-bridge.js';

interface Seen {
  method: string;
  session: string | undefined;
  version: string | undefined;
  lastEventId: string | undefined;
  body: unknown;
}

let server: Server | undefined;

afterEach(() => closeServer());

async function closeServer() {
  const running = server;
  server = undefined;
  if (running === undefined) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
}

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text === '' ? undefined : JSON.parse(text);
}

/** The scripted server; resolves its URL and what it saw. */
async function startScriptedServer() {
  const seen: Seen[] = [];
  let answerToSampling: (value: unknown) => void = () => {};
  const sampled = new Promise<unknown>((resolve) => (answerToSampling = resolve));
  let answerToElicitation: (value: unknown) => void = () => {};
  const elicited = new Promise<unknown>((resolve) => (answerToElicitation = resolve));
  let eventStream: ServerResponse | undefined;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const message = (await body(req)) as
      | { id?: number | string; method?: string; result?: unknown }
      | undefined;
    seen.push({
      method: req.method ?? '',
      session: req.headers['mcp-session-id'] as string | undefined,
      version: req.headers['mcp-protocol-version'] as string | undefined,
      lastEventId: req.headers['last-event-id'] as string | undefined,
      body: message,
    });
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.headers['last-event-id'] !== undefined) {
        eventStream = res; // the resumed stream: kept open
        return;
      }
      const notification = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
      return void res.end(`id: g1\ndata: ${JSON.stringify(notification)}\n\n`); // ends: the bridge resumes
    }
    if (req.method === 'DELETE') return void res.writeHead(204).end();
    if (message?.method === 'initialize') {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'session-1' });
      return void res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: message.id,
          result: { protocolVersion: '2025-11-25', capabilities: {} },
        }),
      );
    }
    if (message?.method === 'tools/call') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': a comment\n\nid: p0\ndata:\n\n'); // a priming event without data
      const request = {
        jsonrpc: '2.0',
        id: 'srv-1',
        method: 'sampling/createMessage',
        params: { maxTokens: 5 },
      };
      res.write(`id: e1\r\ndata: ${JSON.stringify(request)}\r\n\r\n`);
      const answer = await sampled;
      res.end(`id: e2\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: message.id, result: { answer } })}\n\n`);
      return;
    }
    if (message?.method === 'tools/call-json') {
      // JSON response mode: the server asks on the GET stream and answers the POST only afterwards.
      const request = { jsonrpc: '2.0', id: 'srv-2', method: 'elicitation/create', params: {} };
      eventStream?.write(`id: g2\ndata: ${JSON.stringify(request)}\n\n`);
      const answer = await elicited;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: { answer } }));
    }
    if (message?.id === 'srv-1') answerToSampling(message.result);
    if (message?.id === 'srv-2') answerToElicitation(message.result);
    if (message?.id === undefined || message.result !== undefined) return void res.writeHead(202).end();
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'no such method here' } }),
    );
  };
  server = createServer((req, res) => void handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

function bridgeStreams() {
  const input = new PassThrough();
  const output = new PassThrough();
  const messages: Record<string, unknown>[] = [];
  let buffered = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) messages.push(JSON.parse(line));
  });
  const send = (message: unknown) => input.write(`${JSON.stringify(message)}\n`);
  return { input, output, messages, send };
}

describe('runStdioBridge', () => {
  it('relays JSON and SSE answers, server→client requests and their answers, with session and version', async () => {
    const { url, seen } = await startScriptedServer();
    const { input, output, messages, send } = bridgeStreams();
    const logs: string[] = [];
    const done = runStdioBridge({
      serverUrl: url,
      fetch: globalThis.fetch,
      input,
      output,
      log: (l) => logs.push(l),
    });

    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask' } });
    await expect.poll(() => messages.find((m) => m.id === 'srv-1')).toBeTruthy();
    expect(messages.find((m) => m.id === 'srv-1')).toMatchObject({ method: 'sampling/createMessage' });
    send({ jsonrpc: '2.0', id: 'srv-1', result: { text: 'fine' } });
    await expect
      .poll(() => messages.find((m) => m.id === 2))
      .toEqual({
        jsonrpc: '2.0',
        id: 2,
        result: { answer: { text: 'fine' } },
      });
    await expect
      .poll(() => messages.find((m) => m.method === 'notifications/tools/list_changed'))
      .toBeTruthy();
    await expect
      .poll(() => seen.filter((s) => s.method === 'GET').map((s) => s.lastEventId))
      .toEqual([undefined, 'g1']);
    // A POST whose JSON answer waits for the client's answer to a request sent on the GET stream.
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call-json', params: {} });
    await expect.poll(() => messages.find((m) => m.id === 'srv-2')).toBeTruthy();
    send({ jsonrpc: '2.0', id: 'srv-2', result: { action: 'accept' } });
    await expect
      .poll(() => messages.find((m) => m.id === 4))
      .toEqual({
        jsonrpc: '2.0',
        id: 4,
        result: { answer: { action: 'accept' } },
      });
    send({ jsonrpc: '2.0', id: 3, method: 'nope' });
    await expect
      .poll(() => messages.find((m) => m.id === 3))
      .toMatchObject({
        error: { code: -32000, message: 'the MCP server answered HTTP 400: no such method here' },
      });
    input.end();
    await done;

    expect(messages[0]).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: '2025-11-25', capabilities: {} },
    });
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts[0]).toMatchObject({ session: undefined, version: undefined });
    for (const later of posts.slice(1))
      expect(later).toMatchObject({ session: 'session-1', version: '2025-11-25' });
    expect(seen.filter((s) => s.method === 'GET')).toHaveLength(2);
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', session: 'session-1' });
    expect(logs.join('\n')).toMatch(/HTTP 400/);
  });

  it('answers requests with a JSON-RPC error when the server cannot be reached, and never hangs', async () => {
    const { url } = await startScriptedServer();
    await closeServer(); // nothing listens on its port any more
    const { input, output, messages, send } = bridgeStreams();
    const logs: string[] = [];
    const done = runStdioBridge({
      serverUrl: url,
      fetch: globalThis.fetch,
      input,
      output,
      log: (l) => logs.push(l),
    });
    send({ jsonrpc: '2.0', id: 7, method: 'initialize', params: {} });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    input.end();
    await done;
    expect(messages).toEqual([
      {
        jsonrpc: '2.0',
        id: 7,
        error: {
          code: -32000,
          message: `gatehouse connect: could not reach the MCP server at ${url} (ECONNREFUSED)`,
        },
      },
    ]);
    expect(logs.join('\n')).toMatch(
      /could not send "initialize"[\s\S]*could not send "notifications\/initialized"/,
    );
  });

  it('stops at once when its signal aborts, even with a response under way', async () => {
    const { url } = await startScriptedServer();
    const { input, output, messages, send } = bridgeStreams();
    const stop = new AbortController();
    const done = runStdioBridge({
      serverUrl: url,
      fetch: globalThis.fetch,
      input,
      output,
      log: () => {},
      signal: stop.signal,
    });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: {} }); // waits for a sampling answer
    await expect.poll(() => messages.find((m) => m.id === 'srv-1')).toBeTruthy();
    stop.abort();
    await done; // resolves although stdin is still open and the tools/call stream never ended
    expect(input.readableEnded).toBe(false);
    expect(messages.find((m) => m.id === 2)).toBeUndefined();
  });
});
