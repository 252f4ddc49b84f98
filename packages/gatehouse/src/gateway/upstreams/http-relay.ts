/**
 * `gatehouse serve --upstream <url>`: an HTTP (Streamable HTTP) MCP server behind the gateway,
 * reached by relaying each authenticated HTTP exchange — requests, SSE streams, GET listen
 * streams, DELETE — as it is. A relay, not a re-implementation: every protocol revision and
 * feature the upstream supports (sessions, server→client requests, subscriptions, logging)
 * works through the gateway unchanged.
 *
 * What crosses the gateway (MCP 2025-06-18 § Access Token Privilege Restriction — no token
 * passthrough):
 * - to the upstream: the method, the body, and only the MCP headers (`Content-Type`, `Accept`,
 *   `Last-Event-ID`, `Mcp-*`), plus the operator's static `headers`. Never `Authorization`,
 *   `Cookie`, `Origin`, forwarding headers or anything else the client sent.
 * - back to the client: the status, the body, and only `Content-Type`, `Cache-Control`,
 *   `Retry-After` and `Mcp-*`. Never `Set-Cookie` or `WWW-Authenticate`: an upstream 401/403 is the
 *   gateway's credential problem, answered 502, so clients do not restart OAuth against us.
 *
 * Sessions: an upstream `Mcp-Session-Id` is bound to the principal (issuer + subject + client)
 * whose request created it; a request carrying a session id of another principal, or one the
 * gateway does not know, is answered 404 (MCP transports: the client starts a new session) and
 * never reaches the upstream.
 */
import { jsonRpcErrorResponse } from '@gatehouse/resource-server';
import type { GatewayLogger } from '../logger.js';
import { describePrincipal, type PrincipalFields, principalKey } from './principal.js';

/** Options of {@link createHttpRelay}. */
export interface HttpRelayOptions {
  /** The upstream MCP endpoint. */
  readonly url: string;
  /** The gateway's own static credentials / headers for the upstream (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  readonly log: GatewayLogger;
}

/** The relay: forwards one authenticated request. */
export interface HttpRelay {
  /**
   * Relays `request` (whose body, if any, was already read into `body`) for `principal`. Never
   * rejects: upstream failures are 502 JSON-RPC errors.
   */
  forward(request: Request, principal: PrincipalFields, body: Uint8Array | undefined): Promise<Response>;
  /**
   * Startup check: whether the upstream answers HTTP at all (an `OPTIONS` request, 3 s). Logs a
   * warning when it does not; the gateway serves anyway, answering 502 until it does.
   */
  checkReachable(): Promise<boolean>;
}

const REQUEST_HEADERS = new Set(['content-type', 'accept', 'last-event-id']);
const RESPONSE_HEADERS = new Set(['content-type', 'cache-control', 'retry-after']);
/** Sessions remembered at once; the oldest binding is forgotten first (its client re-initializes). */
const MAX_SESSIONS = 10_000;

/** Creates the relay for `options.url`. */
export function createHttpRelay(options: HttpRelayOptions): HttpRelay {
  const origin = new URL(options.url).origin;
  const sessionOwners = new Map<string, string>();

  return {
    async checkReachable() {
      try {
        const response = await fetch(options.url, {
          method: 'OPTIONS',
          redirect: 'manual',
          signal: AbortSignal.timeout(3_000),
        });
        await response.body?.cancel();
        return true;
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        options.log.warn(
          { upstream: origin, err: typeof code === 'string' ? code : (error as Error).name },
          'the upstream MCP server is not reachable yet; requests will get 502 until it is',
        );
        return false;
      }
    },
    async forward(request, principal, body) {
      const owner = principalKey(principal);
      const sessionId = request.headers.get('mcp-session-id');
      if (sessionId !== null && sessionOwners.get(sessionId) !== owner) {
        return jsonRpcErrorResponse(404, -32001, 'Session not found: start a new session');
      }
      const headers = new Headers();
      for (const [name, value] of request.headers) {
        if (REQUEST_HEADERS.has(name) || name.startsWith('mcp-')) headers.set(name, value);
      }
      for (const [name, value] of Object.entries(options.headers)) headers.set(name, value);
      let upstream: Response;
      try {
        upstream = await fetch(options.url, {
          method: request.method,
          headers,
          ...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
          redirect: 'manual',
          signal: request.signal,
        });
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        options.log.warn(
          {
            ...describePrincipal(principal),
            upstream: origin,
            err: typeof code === 'string' ? code : 'fetch failed',
          },
          'upstream unreachable',
        );
        return jsonRpcErrorResponse(
          502,
          -32000,
          `the upstream MCP server at ${origin} is not reachable${typeof code === 'string' ? ` (${code})` : ''}`,
        );
      }
      if (
        upstream.status === 401 ||
        upstream.status === 403 ||
        (upstream.status >= 300 && upstream.status < 400)
      ) {
        await upstream.body?.cancel();
        options.log.error({ upstream: origin, status: upstream.status }, 'the upstream refused the gateway');
        return jsonRpcErrorResponse(
          502,
          -32000,
          upstream.status < 400
            ? `the upstream MCP server at ${origin} answered with a redirect, which the gateway does not follow`
            : `the upstream MCP server at ${origin} refused the gateway's credentials (HTTP ${upstream.status})`,
        );
      }
      const answered = upstream.headers.get('mcp-session-id');
      if (answered !== null && sessionOwners.get(answered) === undefined) {
        if (sessionOwners.size >= MAX_SESSIONS)
          sessionOwners.delete(sessionOwners.keys().next().value as string);
        sessionOwners.set(answered, owner);
      }
      if (request.method === 'DELETE' && sessionId !== null && upstream.ok) sessionOwners.delete(sessionId);
      const responseHeaders = new Headers();
      for (const [name, value] of upstream.headers) {
        if (RESPONSE_HEADERS.has(name) || name.startsWith('mcp-')) responseHeaders.set(name, value);
      }
      return new Response(endQuietly(upstream.body), { status: upstream.status, headers: responseHeaders });
    },
  };
}

/**
 * The upstream body, ended (not errored) when reading it fails — the client went away and the
 * upstream request was aborted, or the upstream dropped the connection. Either way the client's
 * stream just ends, as if the connection closed, instead of the HTTP adapter printing a stack.
 */
function endQuietly(body: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason).catch(() => {}),
  });
}
