/**
 * `node:http` adapter: converts between `IncomingMessage`/`ServerResponse` and web `Request`/`Response`,
 * so the web-standard core and `createProtectedMcpHandler` run on a plain Node server.
 *
 * - {@link toNodeListener}: any `(Request) => Promise<Response>` as a `(req, res)` listener,
 *   streaming the response body (SSE works) and aborting the request when the client goes away.
 * - {@link protectNode}: a `(req, res, authInfo)` handler behind the resource server, with
 *   `req.auth` set.
 * - {@link toWebRequest}, {@link writeResponse}: the two conversions, for other wiring.
 *
 * Does NOT trust `X-Forwarded-*` headers: the URL is built from the `Host` header and whether the
 * socket is TLS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { invalidArgument } from '@gatehouse/core';
import type { AuthInfo } from '../auth-info.js';
import { internalErrorResponse } from '../challenge.js';
import { BODY_DEFAULTS, bodyTooLargeResponse, type JsonBodyResult, parseJsonBytes } from '../json-body.js';
import type { ResourceServer } from '../resource-server.js';

/** Options of {@link toWebRequest}. */
export interface ToWebRequestOptions {
  /** Attach the request body stream (default `true` for methods other than GET/HEAD). `false`: headers only. */
  body?: boolean;
  /** Aborts the web request (e.g. when the client disconnects). */
  signal?: AbortSignal;
}

/** An `IncomingMessage` after {@link protectNode}: `auth` is the verified token, `body` the parsed JSON when it was read. */
export type AuthenticatedIncomingMessage = IncomingMessage & { auth: AuthInfo; body?: unknown };

/**
 * A web `Request` for a Node request: method, URL (`http(s)://<Host><path>`), headers, and
 * optionally the body stream.
 */
export function toWebRequest(req: IncomingMessage, options: ToWebRequestOptions = {}): Request {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const base = `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  let url: URL;
  try {
    url = new URL(req.url ?? '/', base);
  } catch {
    // An unusable Host: keep the path; the Host check still sees the raw header.
    url = new URL(req.url?.startsWith('/') ? req.url : '/', 'http://invalid.invalid');
  }
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    try {
      headers.append(name, raw[i + 1] as string);
    } catch {
      // Node's parser already refused invalid header bytes; skip anything Headers still rejects.
    }
  }
  const method = req.method ?? 'GET';
  const withBody = (options.body ?? true) && method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (options.signal !== undefined) init.signal = options.signal;
  if (withBody) {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/**
 * Writes a web `Response` to a `ServerResponse`: status, headers (each `Set-Cookie` separately),
 * and the body streamed with back-pressure. Stops reading the body when the client disconnects.
 */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (response.body === null) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const onClose = () => {
    reader.cancel().catch(() => {});
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const settle = () => {
            res.off('drain', settle);
            res.off('close', settle);
            resolve();
          };
          res.once('drain', settle);
          res.once('close', settle);
        });
      }
      if (res.destroyed) break;
    }
  } catch {
    // The body stream failed or was cancelled because the client left: nothing more to send.
  } finally {
    res.off('close', onClose);
    res.end();
  }
}

async function respondSafely(res: ServerResponse, response: Response): Promise<void> {
  try {
    await writeResponse(res, response);
  } catch {
    res.destroy();
  }
}

/**
 * A `node:http` request listener serving a web-standard handler (for example
 * `createProtectedMcpHandler(...)` or `protect(...)`). A throwing handler yields a generic 500.
 *
 * @example
 * createServer(toNodeListener(createProtectedMcpHandler({ resourceServer, server }))).listen(8080, '127.0.0.1');
 */
export function toNodeListener(
  handler: (request: Request) => Response | Promise<Response>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    void (async () => {
      let response: Response;
      try {
        response = await handler(toWebRequest(req, { signal: controller.signal }));
      } catch (error) {
        response = internalErrorResponse(error, 'node-listener');
      }
      await respondSafely(res, response);
    })();
  };
}

/**
 * Reads a Node request body (at most `maxBytes`) and parses it as JSON. Consumes the stream.
 */
export async function readNodeJsonBody(
  req: IncomingMessage,
  maxBytes: number = BODY_DEFAULTS.maxBodyBytes,
): Promise<JsonBodyResult> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return { ok: false, status: 413 };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      req.resume();
      return { ok: false, status: 413 };
    }
    chunks.push(chunk);
  }
  if (size === 0) return { ok: true, value: null, parseError: false };
  return parseJsonBytes(Buffer.concat(chunks));
}

/**
 * The body the core needs for its scope check, for a Node request: `req.body` when a body parser set
 * it, otherwise read from the stream (then stored in `req.body` for the handler). `undefined` when
 * the core does not need it; a 413 or 500 `Response` when it cannot be had.
 */
export async function bodyForScopes(
  server: ResourceServer,
  req: IncomingMessage & { body?: unknown },
): Promise<{ body: unknown } | Response> {
  const method = req.method ?? 'GET';
  if (
    !server.needsBody ||
    method === 'GET' ||
    method === 'HEAD' ||
    method === 'DELETE' ||
    method === 'OPTIONS'
  ) {
    return { body: undefined };
  }
  if (req.body !== undefined) return { body: req.body };
  if (req.readableEnded || req.readableDidRead) {
    // Consumed elsewhere without leaving `req.body`: the operation's scopes cannot be known, and
    // guessing could let a tool run without its scope.
    return internalErrorResponse(
      invalidArgument('the request body was read before authentication without setting req.body'),
      'body-unavailable',
    );
  }
  const read = await readNodeJsonBody(req);
  if (!read.ok) return bodyTooLargeResponse();
  if (!read.parseError && read.value !== null) req.body = read.value;
  return { body: read.value };
}

/**
 * A `node:http` listener that answers the metadata paths, authenticates every other request, sets
 * `req.auth`, and calls `handler(req, res, authInfo)`. When per-method or per-tool scopes are
 * configured, a POST body is read and parsed here (bounded) and left in `req.body`.
 *
 * @example
 * createServer(protectNode(rs, (req, res, auth) => res.end(auth.subject))).listen(0, '127.0.0.1');
 */
export function protectNode(
  server: ResourceServer,
  handler: (
    req: AuthenticatedIncomingMessage,
    res: ServerResponse,
    authInfo: AuthInfo,
  ) => void | Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      try {
        const request = toWebRequest(req, { body: false });
        const metadata = server.handleMetadataRequest(request);
        if (metadata !== undefined) return await respondSafely(res, metadata);
        const refused = server.checkOrigin(request);
        if (refused !== undefined) return await respondSafely(res, refused);
        const body = await bodyForScopes(server, req);
        if (body instanceof Response) return await respondSafely(res, body);
        const result = await server.authenticate(request, body.body);
        if (result instanceof Response) return await respondSafely(res, result);
        const authed = req as AuthenticatedIncomingMessage;
        authed.auth = result;
        await handler(authed, res, result);
      } catch (error) {
        if (!res.headersSent) await respondSafely(res, internalErrorResponse(error, 'node-handler'));
        else res.destroy();
      }
    })();
  };
}
