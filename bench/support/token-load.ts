/**
 * Load generators for a token endpoint, shared by the authorization-server and storage benchmarks:
 * `client_credentials` (the same request over and over) and rotating `refresh_token` chains fed
 * from a pool of fresh refresh tokens that the servers' process mints on request (see servers.ts).
 */
import autocannon from 'autocannon';
import { type Round, roundOf } from './rounds.ts';

/** What the load generator needs to know about one server's token endpoint. */
export interface TokenTarget {
  tokenUrl: string;
  resource: string;
  /** `Authorization: Basic …` of the client_credentials client. */
  basic: string;
  /** The public client of the refresh grant. */
  refreshClientId: string;
}

/** One request, as autocannon sends it. */
export interface BenchRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Load settings. */
export interface LoadSettings {
  connections: number;
  seconds: number;
}

/** A `client_credentials` token request for `target`'s resource. */
export function clientCredentialsRequest(target: TokenTarget): BenchRequest {
  return {
    url: target.tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: target.basic },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: target.resource,
      scope: 'mcp:tools',
    }).toString(),
  };
}

/** A `refresh_token` request presenting `refreshToken`. */
export function refreshRequest(target: TokenTarget, refreshToken: string): BenchRequest {
  return {
    url: target.tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: target.refreshClientId,
    }).toString(),
  };
}

/** Checks one request: 200 with a JWT access token (three dot-separated parts). */
export async function assertOk(req: BenchRequest): Promise<void> {
  const response = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || body.access_token?.split('.').length !== 3) {
    throw new Error(
      `benchmark request failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
    );
  }
}

/** A round of the same request over and over. */
export async function loadFixed(req: BenchRequest, settings: LoadSettings): Promise<Round> {
  const result = await autocannon({
    url: req.url,
    method: 'POST',
    headers: req.headers,
    body: req.body,
    connections: settings.connections,
    duration: settings.seconds,
  });
  return roundOf(result);
}

/**
 * A round of rotating refreshes: each connection runs chains of `chain` requests, the first with
 * a fresh refresh token from a pool filled by `mint`, each next one with the refresh token the
 * previous response returned (as a client does), so every refresh token is presented once.
 */
export async function loadRefresh(
  target: TokenTarget,
  mint: (count: number) => Promise<string[]>,
  settings: LoadSettings & { chain: number; refillBatch: number },
): Promise<Round> {
  const pool = await mint(settings.connections + 2 * settings.refillBatch);
  let refilling = false;
  let refillError: unknown;
  let dry = 0;
  const refill = (): void => {
    if (refilling || pool.length >= settings.refillBatch) return;
    refilling = true;
    mint(settings.refillBatch)
      .then((tokens) => pool.push(...tokens))
      .catch((error: unknown) => {
        refillError = error;
      })
      .finally(() => {
        refilling = false;
      });
  };
  type Chain = { refreshToken?: string };
  const step = (index: number): autocannon.Request => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (request, context) => {
      const chain = context as Chain;
      let token = index === 0 ? undefined : chain.refreshToken;
      chain.refreshToken = undefined;
      if (token === undefined) {
        token = pool.shift();
        refill();
      }
      if (token === undefined) {
        dry += 1;
        token = 'pool-ran-dry';
      }
      return { ...request, body: refreshRequest(target, token).body };
    },
    onResponse: (status, body, context) => {
      if (status === 200)
        (context as Chain).refreshToken = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
    },
  });
  const result = await autocannon({
    url: target.tokenUrl,
    connections: settings.connections,
    duration: settings.seconds,
    requests: Array.from({ length: settings.chain }, (_, index) => step(index)),
  });
  if (refillError !== undefined) throw refillError;
  if (dry > 0) throw new Error(`the refresh token pool ran dry ${dry} times: raise the refill batch`);
  return roundOf(result);
}
