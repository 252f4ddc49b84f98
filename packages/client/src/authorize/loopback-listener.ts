/**
 * The loopback redirect listener of a native MCP client (RFC 8252 §7.3 and §8.3; MCP § Redirect URIs:
 * `localhost` or https): an HTTP server on 127.0.0.1 that receives the one authorization response,
 * answers the browser with a small page, and closes.
 *
 * Defaults (one place):
 *
 * | option | default |
 * | --- | --- |
 * | `port` | `0`: an ephemeral port chosen by the system |
 * | `path` | `/callback` |
 * | `host` | `127.0.0.1` (the redirect URI's host; the socket always binds 127.0.0.1) |
 * | `timeoutMs` | `300000` (five minutes) |
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument } from '@gatehouse/core';
import { CALLBACK_PAGE_HEADERS, renderCallbackPage } from './callback-page.js';
import { AuthorizationFailed, AuthorizationTimeout, CallbackPortInUse } from './errors.js';

/** Options of {@link startLoopbackListener}. Defaults are in the table above. */
export interface LoopbackListenerOptions {
  /**
   * A port, or an inclusive range tried in order, moving to the next port on `EADDRINUSE` (for a
   * pre-registered redirect URI whose server does not allow any loopback port). `0`: ephemeral.
   */
  readonly port?: number | { readonly from: number; readonly to: number };
  /** The redirect URI's path: requests to any other path get a 404 and are ignored. */
  readonly path?: string;
  /**
   * The host written in the redirect URI: `127.0.0.1` (RFC 8252 §8.3: recommended), or `localhost`
   * for a client registered with it. The server binds 127.0.0.1 only, whichever is chosen.
   */
  readonly host?: '127.0.0.1' | 'localhost';
  /** How long to wait for the callback, from the start; then {@link AuthorizationTimeout}. */
  readonly timeoutMs?: number;
  /** Aborting it closes the listener; a pending wait rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Validates the callback URL before the browser is answered (e.g. `processAuthorizationCallback`):
   * when it throws, the browser gets the failure page and {@link LoopbackListener.waitForCallback}
   * rejects with that error. The failure page shows the server's error text (escaped) only for an
   * `AuthorizationFailed`, which is raised after `iss` and `state` were verified. Default: none
   * (the success page unless the URL has an `error` parameter, whose text is never shown).
   */
  readonly checkCallback?: (callbackUrl: URL) => void;
}

/** A running listener. */
export interface LoopbackListener {
  /** `http://127.0.0.1:<port><path>`: register it, or send it as `redirect_uri`. */
  readonly redirectUri: string;
  /**
   * Resolves with the URL of the first request to `path` (query included: it carries the code, a
   * secret) once the browser was answered; rejects with {@link AuthorizationTimeout}, the
   * `checkCallback` error, `signal.reason`, or an `Error` when the listener was closed first.
   */
  waitForCallback(): Promise<URL>;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 300_000;
const MAX_TIMEOUT_MS = 2_147_483_647;

function checkPortNumber(value: unknown, name: string, allowZero: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < (allowZero ? 0 : 1) ||
    value > 65_535
  ) {
    throw invalidArgument(`"${name}" must be an integer port number${allowZero ? ' (0: ephemeral)' : ''}`);
  }
  return value;
}

/** The ports to try, in order. */
function portsToTry(port: LoopbackListenerOptions['port']): number[] {
  if (port === undefined) return [0];
  if (typeof port === 'number') return [checkPortNumber(port, 'port', true)];
  if (typeof port !== 'object' || port === null) {
    throw invalidArgument('"port" must be a number or { from, to }', 'ERR_INVALID_ARG_TYPE');
  }
  const from = checkPortNumber(port.from, 'port.from', false);
  const to = checkPortNumber(port.to, 'port.to', false);
  if (to < from || to - from > 1000) {
    throw invalidArgument('"port" range must have from <= to and span at most 1000 ports');
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function checkOptions(options: LoopbackListenerOptions) {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const {
    path = '/callback',
    host = '127.0.0.1',
    timeoutMs = DEFAULT_TIMEOUT_MS,
    signal,
    checkCallback,
  } = options;
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(path)) {
    throw invalidArgument('"path" must be an absolute URL path such as "/callback"');
  }
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw invalidArgument('"host" must be "127.0.0.1" or "localhost"');
  }
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_TIMEOUT_MS
  ) {
    throw invalidArgument('"timeoutMs" must be a positive integer number of milliseconds');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument('"signal" must be an AbortSignal', 'ERR_INVALID_ARG_TYPE');
  }
  if (checkCallback !== undefined && typeof checkCallback !== 'function') {
    throw invalidArgument('"checkCallback" must be a function', 'ERR_INVALID_ARG_TYPE');
  }
  return { ports: portsToTry(options.port), path, host, timeoutMs, signal, checkCallback };
}

/** Listens on 127.0.0.1 at the first free port of `ports`. */
async function bind(ports: readonly number[], handler: (req: IncomingMessage, res: ServerResponse) => void) {
  let lastError: unknown;
  for (const port of ports) {
    const server = createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
      lastError = error;
    }
  }
  throw new CallbackPortInUse(ports, { cause: lastError });
}

function failureDetail(error: unknown): string {
  if (error instanceof AuthorizationFailed) return `The authorization server answered: ${error.message}`;
  return 'The response could not be verified.';
}

/**
 * Starts the loopback listener (RFC 8252 §7.3) on 127.0.0.1 and resolves once it is listening.
 *
 * Requests: a GET to `path` with the expected `Host` is the callback: it is checked
 * (`checkCallback`), answered with the success or failure page (self-contained, escaped, no
 * referrer, no caching), settles {@link LoopbackListener.waitForCallback}, and the listener closes
 * itself. Every other request (another path, `/favicon.ico`, another method, another `Host`, a
 * second callback) gets a plain 404/405 and changes nothing. On `timeoutMs` the listener closes and
 * the wait rejects with {@link AuthorizationTimeout}. Nothing is logged, ever (the URL carries the
 * authorization code).
 *
 * Misuse is a `TypeError`; all ports of the range in use → {@link CallbackPortInUse} (code `EADDRINUSE`).
 * Does NOT validate `state`/`iss` by itself: pass `checkCallback` or call
 * `processAuthorizationCallback` on the URL.
 *
 * @example
 * const listener = await startLoopbackListener();
 * const url = buildAuthorizationUrl({ ...rest, redirectUri: listener.redirectUri });
 * const callbackUrl = await listener.waitForCallback();
 */
export async function startLoopbackListener(
  options: LoopbackListenerOptions = {},
): Promise<LoopbackListener> {
  const { ports, path, host, timeoutMs, signal, checkCallback } = checkOptions(options);
  signal?.throwIfAborted();

  let settle: { resolve: (url: URL) => void; reject: (error: unknown) => void } | undefined;
  const result = new Promise<URL>((resolve, reject) => {
    settle = { resolve, reject };
  });
  result.catch(() => {}); // observed through waitForCallback(); never an unhandled rejection
  let settled = false;
  let expectedHost = '';
  let redirectUri = '';

  const finish = (outcome: { url: URL } | { error: unknown }) => {
    if (settled) return;
    settled = true;
    if ('url' in outcome) settle?.resolve(outcome.url);
    else settle?.reject(outcome.error);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    const pathname = target.split('?', 1)[0];
    if (settled || pathname !== path || req.headers.host !== expectedHost) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        .end('Not found');
      return;
    }
    if (req.method !== 'GET') {
      res
        .writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' })
        .end('Method not allowed');
      return;
    }
    const url = new URL(target, redirectUri);
    let error: unknown;
    try {
      checkCallback?.(url);
    } catch (thrown) {
      error = thrown;
    }
    const ok = error === undefined && !url.searchParams.has('error');
    const page = renderCallbackPage(ok, error === undefined ? '' : failureDetail(error));
    res.writeHead(ok ? 200 : 400, CALLBACK_PAGE_HEADERS);
    res.end(page, () => void close());
    finish(error === undefined ? { url } : { error });
  };

  const server: Server = await bind(ports, handler);
  const { port } = server.address() as AddressInfo;
  expectedHost = `${host}:${port}`;
  redirectUri = `http://${host}:${port}${path}`;

  let closing: Promise<void> | undefined;
  const timer = setTimeout(() => {
    finish({ error: new AuthorizationTimeout(timeoutMs) });
    void close();
  }, timeoutMs);
  const onAbort = () => {
    finish({ error: signal?.reason });
    void close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      finish({
        error: new Error('the loopback listener was closed before the authorization response arrived'),
      });
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  }

  return Object.freeze({
    redirectUri,
    waitForCallback: () => result,
    close,
  });
}
