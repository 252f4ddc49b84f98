/**
 * Turns a `fetch` call's arguments into a request that can be sent more than once (issue 4 item 1:
 * a request retried after an authorization must carry the same body).
 */
import { invalidArgument } from '@gatehouse/core';

/** A request that can be re-sent: its body buffered, its headers copied. */
export interface ReplayableRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: ArrayBuffer | undefined;
  readonly signal: AbortSignal | undefined;
  readonly init: RequestInit | undefined;
}

/**
 * Buffers the request's body so it can be replayed. A `ReadableStream` passed as `init.body` is
 * refused up front with a `TypeError` (`ERR_INVALID_ARG_TYPE`): a stream cannot be sent twice, and
 * buffering an unbounded stream (a duplex upload) would never end. A `Request` input's body is read
 * into memory (the MCP transports send JSON text).
 *
 * Does NOT limit the body size.
 */
export async function toReplayable(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<ReplayableRequest> {
  if (init?.body instanceof ReadableStream) {
    throw invalidArgument(
      'authFetch cannot retry a request whose body is a ReadableStream: pass a string, bytes, URLSearchParams or FormData',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const request = new Request(input, init);
  const body = request.body === null ? undefined : await request.arrayBuffer();
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  return {
    url: request.url,
    method: request.method,
    headers: new Headers(request.headers),
    body,
    signal: signal ?? undefined,
    init,
  };
}

/**
 * The `RequestInit` of one attempt: the buffered body, the headers with `authorization` set or
 * removed: `Bearer <token>`, or with `dpopProof` `DPoP <token>` and the `DPoP` proof header (RFC 9449
 * §7.1). A caller's own `DPoP` header is never passed on.
 */
export function attemptInit(
  request: ReplayableRequest,
  accessToken: string | undefined,
  dpopProof?: string,
): RequestInit {
  const headers = new Headers(request.headers);
  headers.delete('dpop');
  if (accessToken === undefined) headers.delete('authorization');
  else if (dpopProof === undefined) headers.set('authorization', `Bearer ${accessToken}`);
  else {
    headers.set('authorization', `DPoP ${accessToken}`);
    headers.set('dpop', dpopProof);
  }
  const { init } = request;
  return {
    ...(init?.redirect === undefined ? {} : { redirect: init.redirect }),
    ...(init?.cache === undefined ? {} : { cache: init.cache }),
    ...(init?.keepalive === undefined ? {} : { keepalive: init.keepalive }),
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body.slice(0) }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  };
}
