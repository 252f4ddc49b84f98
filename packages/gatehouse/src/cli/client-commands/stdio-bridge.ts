/**
 * The stdio ↔ Streamable HTTP relay of `gatehouse connect` (MCP 2025-11-25 / 2026-07-28
 * § Transports): a local client (Claude Desktop, Cursor, VS Code) speaks newline-delimited JSON-RPC
 * on our stdin/stdout; each message is POSTed to the MCP server through `authFetch` (tokens attached,
 * renewed, obtained on demand), and what the server sends back — a JSON body, or an SSE stream of
 * responses, notifications and server→client requests — is written to stdout, one message a line.
 * The client's answers to server requests come back on stdin and are POSTed like any message.
 *
 * Messages are relayed, not interpreted, except to learn the session (`Mcp-Session-Id`) and the
 * negotiated protocol version (`MCP-Protocol-Version`) that later requests must carry, and to answer
 * a request the server could not be asked (network or authorization failure) with a JSON-RPC error,
 * so the client is never left waiting. After `notifications/initialized` the server's own event
 * stream (GET) is opened when offered, and resumed with `Last-Event-ID` when it ends.
 *
 * Does NOT resume an interrupted POST response stream, re-initialize a session the server ended
 * (the client gets an error and must initialize again), or split JSON-RPC batches.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { FetchLike } from '@gatehouse/client';
import { describeSendError } from './mcp-session.js';
import { readSseEvents } from './sse-events.js';

/** Options of {@link runStdioBridge}. */
export interface StdioBridgeOptions {
  /** The MCP endpoint. */
  readonly serverUrl: string;
  /** `authFetch` for that endpoint. */
  readonly fetch: FetchLike;
  /** Newline-delimited JSON-RPC from the local client. */
  readonly input: Readable;
  /** Where messages for the local client are written, one per line. Nothing else is written there. */
  readonly output: Writable;
  /** Diagnostics (stderr). Never receives a token. */
  readonly log: (line: string) => void;
  /** Aborting it stops the bridge at once. */
  readonly signal?: AbortSignal;
  /** After stdin closes, how long in-flight responses may still take, in milliseconds. Default 10 000. */
  readonly drainTimeoutMs?: number;
}

/** JSON-RPC 2.0 error codes used for answers the bridge makes itself. */
const PARSE_ERROR = -32700;
const BRIDGE_ERROR = -32000;

type JsonRpcId = string | number;
interface JsonRpcMessage {
  readonly jsonrpc?: unknown;
  readonly id?: unknown;
  readonly method?: unknown;
  readonly result?: unknown;
}

const isRequest = (message: JsonRpcMessage): message is JsonRpcMessage & { id: JsonRpcId; method: string } =>
  typeof message.method === 'string' && (typeof message.id === 'string' || typeof message.id === 'number');

/**
 * Relays until `input` ends (then waits up to `drainTimeoutMs` for responses under way, and ends
 * the server session with a DELETE) or `signal` aborts. Resolves; relay failures are logged and
 * answered as JSON-RPC errors, never thrown.
 */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<void> {
  const { serverUrl, fetch, input, output, log } = options;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // The local client went away (EPIPE): nobody reads the answers any more.
  output.once('error', (error: Error) => {
    log(`gatehouse connect: stdout failed (${(error as { code?: string }).code ?? error.message}); stopping`);
    stop.abort();
  });
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let listening = false;
  const inFlight = new Set<Promise<void>>();

  function write(message: unknown): void {
    if (!output.writable) return;
    output.write(`${JSON.stringify(message)}\n`);
  }

  function answerError(request: JsonRpcMessage, message: string): void {
    if (isRequest(request)) write({ jsonrpc: '2.0', id: request.id, error: { code: BRIDGE_ERROR, message } });
  }

  function headers(extra: Record<string, string>): Record<string, string> {
    return {
      ...extra,
      ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
      ...(protocolVersion === undefined ? {} : { 'mcp-protocol-version': protocolVersion }),
    };
  }

  /** Writes one message from the server, learning the protocol version from an initialize result. */
  function relay(text: string, initializeId: JsonRpcId | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      log('gatehouse connect: the server sent a message that is not JSON; dropped');
      return;
    }
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      const result = (message as JsonRpcMessage | null)?.result as { protocolVersion?: unknown } | undefined;
      if (
        initializeId !== undefined &&
        (message as JsonRpcMessage).id === initializeId &&
        typeof result?.protocolVersion === 'string'
      ) {
        protocolVersion = result.protocolVersion;
      }
      write(message);
    }
  }

  function track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      if (!stop.signal.aborted) log(`gatehouse connect: ${(error as Error).message}`);
    });
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
  }

  /** Relays the messages of an SSE body; resolves with the last event id seen (for resumption). */
  async function pumpEvents(
    body: ReadableStream<Uint8Array>,
    initializeId: JsonRpcId | undefined,
  ): Promise<string | undefined> {
    let lastEventId: string | undefined;
    for await (const event of readSseEvents(body)) {
      lastEventId = event.id ?? lastEventId;
      if (event.event === 'message') relay(event.data, initializeId);
    }
    return lastEventId;
  }

  /** The server's stream for messages outside any request (GET), when it offers one. */
  async function listen(): Promise<void> {
    let lastEventId: string | undefined;
    for (let failures = 0; failures < 3 && !stop.signal.aborted; ) {
      let response: Response;
      try {
        response = await fetch(serverUrl, {
          method: 'GET',
          headers: headers({
            accept: 'text/event-stream',
            // Resumes after the last event seen (MCP § Resumability and Redelivery).
            ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
          }),
          signal: stop.signal,
        });
      } catch (error) {
        if (stop.signal.aborted) return;
        failures += 1;
        log(`gatehouse connect: the server's event stream failed: ${(error as Error).message}`);
        continue;
      }
      if (response.status === 405 || !response.ok || response.body === null) {
        await response.body?.cancel().catch(() => undefined);
        if (response.status !== 405)
          log(`gatehouse connect: the server refused its event stream (HTTP ${response.status})`);
        return;
      }
      lastEventId = (await pumpEvents(response.body, undefined).catch(() => undefined)) ?? lastEventId;
      failures += 1;
      await new Promise((resolve) => setTimeout(resolve, 500 * failures));
    }
  }

  /** POSTs one message; resolves once its answer (a JSON body, or an SSE stream to its end) was relayed. */
  async function forward(line: string, message: JsonRpcMessage): Promise<void> {
    const initializeId = message.method === 'initialize' && isRequest(message) ? message.id : undefined;
    let response: Response;
    try {
      response = await fetch(serverUrl, {
        method: 'POST',
        headers: headers({
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        }),
        body: line,
        signal: stop.signal,
      });
    } catch (error) {
      if (stop.signal.aborted) return;
      const reason = describeSendError(error, serverUrl);
      log(`gatehouse connect: could not send ${describe(message)}: ${reason}`);
      answerError(message, `gatehouse connect: ${reason}`);
      return;
    }
    const session = response.headers.get('mcp-session-id');
    if (session !== null && initializeId !== undefined) sessionId = session;
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (response.status === 202 || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
    } else if (type === 'text/event-stream' && response.ok) {
      await pumpEvents(response.body, initializeId);
    } else {
      const text = await response.text().catch(() => '');
      if (response.ok) {
        relay(text, initializeId);
      } else {
        if (response.status === 404 && sessionId !== undefined) {
          sessionId = undefined;
          log('gatehouse connect: the server ended the session; the client must initialize again');
        } else {
          log(`gatehouse connect: the server answered ${describe(message)} with HTTP ${response.status}`);
        }
        const reason = jsonRpcErrorMessage(text);
        answerError(
          message,
          `the MCP server answered HTTP ${response.status}${reason === undefined ? '' : `: ${reason}`}`,
        );
      }
    }
    if (message.method === 'notifications/initialized' && !listening) {
      // Not tracked: the server may keep this stream open for as long as the session lasts.
      listening = true;
      void listen().catch((error: unknown) => {
        if (!stop.signal.aborted) log(`gatehouse connect: ${(error as Error).message}`);
      });
    }
  }

  // Messages are sent as they arrive, concurrently (a response the server waits for must never queue
  // behind the request it blocks), except that everything after an `initialize` waits for its answer:
  // later requests must carry the session id and protocol version it establishes.
  let initialized: Promise<void> = Promise.resolve();
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(line) as JsonRpcMessage;
      if (typeof message !== 'object' || message === null) throw new Error('not an object');
    } catch {
      log('gatehouse connect: a line on stdin is not a JSON-RPC message; answered with a parse error');
      write({ jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: 'Parse error' } });
      return;
    }
    const work = initialized.then(() => forward(line, message));
    if (message.method === 'initialize') initialized = work.catch(() => undefined);
    track(work);
  });
  await Promise.race([closed, abortOf(stop.signal)]);
  const drained = Promise.all([...inFlight]).then(() => undefined);
  const timeout = AbortSignal.timeout(options.drainTimeoutMs ?? 10_000);
  await Promise.race([drained, abortOf(stop.signal), abortOf(timeout)]);
  stop.abort();
  lines.close();
  options.signal?.removeEventListener('abort', onAbort);
  if (sessionId !== undefined) {
    // Ends the session at the server (MCP § Session Management); a server may refuse with 405.
    await fetch(serverUrl, { method: 'DELETE', headers: headers({}), signal: AbortSignal.timeout(5_000) })
      .then((response) => response.body?.cancel())
      .catch(() => undefined);
  }
}

function abortOf(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** The `error.message` of a JSON-RPC error body (at most 200 characters), or `undefined`. */
function jsonRpcErrorMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

function describe(message: JsonRpcMessage): string {
  if (typeof message.method === 'string') return `"${message.method.slice(0, 60)}"`;
  return 'a response';
}
