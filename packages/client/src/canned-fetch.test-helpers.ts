/** Test doubles of the client's tests: a fetch answering canned, real `Response` objects. Test code only. */
import type { ClientFetch, ClientRequestInit } from './http.js';

/** One request the canned fetch received. */
export interface RecordedRequest {
  readonly url: string;
  readonly init: ClientRequestInit;
}

/** What a route answers: a fresh `Response`, or an `Error` to reject with (a network failure). */
export type CannedAnswer = Response | Error;

/** A `ClientFetch` that records its requests. */
export interface CannedFetch extends ClientFetch {
  readonly calls: RecordedRequest[];
  /** The URLs requested, in order. */
  urls(): string[];
}

/**
 * A fetch answering from `routes` (exact URL → answer factory); any other URL gets a 404 JSON
 * `Response`, like a server that has no such document.
 */
export function cannedFetch(routes: Record<string, (init: ClientRequestInit) => CannedAnswer>): CannedFetch {
  const calls: RecordedRequest[] = [];
  const fetchFn = async (url: string, init: ClientRequestInit): Promise<Response> => {
    calls.push({ url, init });
    const route = routes[url];
    if (route === undefined) return Response.json({ error: 'not_found' }, { status: 404 });
    const answer = route(init);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return Object.assign(fetchFn, { calls, urls: () => calls.map((call) => call.url) });
}

/** A JSON `Response` with the given status (default 200). */
export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

/** Authorization server metadata for `issuer`, with the MCP essentials; `extra` overrides or removes (undefined) fields. */
export function asMetadata(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const document: Record<string, unknown> = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['mcp:tools', 'offline_access'],
    ...extra,
  };
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete document[key];
  return document;
}

/** A network failure as undici reports it (`TypeError: fetch failed` with an `ECONNREFUSED` cause). */
export function connectionRefused(): Error {
  const cause = Object.assign(new Error('connect ECONNREFUSED 203.0.113.7:443'), { code: 'ECONNREFUSED' });
  return new TypeError('fetch failed', { cause });
}
