import {
  createSafeFetch,
  invalidArgument,
  type SafeFetch,
  type SafeFetchPolicy,
  TemporarilyUnavailable,
} from '@gatehouse/core';
import { type AuthInfo, createAuthInfo } from '../auth-info.js';
import {
  invalidToken,
  readAudience,
  readClientId,
  readNumericDate,
  readScopes,
  readSubject,
} from './claims.js';
import { VERIFY_DEFAULTS } from './defaults.js';
import {
  optionalSeconds,
  rejectUnknownOptions,
  requireAudience,
  requireEndpointUrl,
  requireIssuer,
  requireString,
} from './option-checks.js';
import type { AccessTokenVerifier } from './types.js';
import { VerificationCache } from './verification-cache.js';

/** Options of {@link createIntrospectionVerifier}. Every default is in `VERIFY_DEFAULTS`. */
export interface IntrospectionVerifierOptions {
  /** Required. The authorization server's `introspection_endpoint` (RFC 7662 §2). */
  introspectionEndpoint: string | URL;
  /** Required. The issuer identifier; `iss` in the response, when present, must equal it. */
  issuer: string;
  /** Required. This resource's canonical URI; the response's `aud` must contain it. */
  audience: string;
  /** Required. This resource server's client id at the authorization server. */
  clientId: string;
  /** Required. Its secret, sent with `client_secret_basic` (RFC 7662 §2.1, RFC 6749 §2.3.1). */
  clientSecret: string;
  /**
   * Seconds an `active: true` answer is reused for the same token, never beyond its `exp`.
   * Default 30; `0` asks the endpoint every time. It is also how long a revoked token may still be
   * accepted. At most 300.
   */
  cacheTtlSeconds?: number;
  /** The SSRF policy of the introspection request (`createSafeFetch`). */
  fetchPolicy?: SafeFetchPolicy;
  /** The clock, in milliseconds since the epoch. Default `Date.now`; for tests. */
  now?: () => number;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'introspectionEndpoint',
  'issuer',
  'audience',
  'clientId',
  'clientSecret',
  'cacheTtlSeconds',
  'fetchPolicy',
  'now',
]);

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before being joined and base64-encoded. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice('v='.length);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * Sends one RFC 7662 §2.1 introspection request and returns the raw `Response` (the "request" half
 * of a request/process pair). Rejects only when the network fails.
 */
export function introspectionRequest(
  fetchImpl: SafeFetch | typeof fetch,
  endpoint: URL,
  token: string,
  authorization: string,
): Promise<Response> {
  return fetchImpl(endpoint.href, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      authorization,
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
  });
}

/**
 * Reads an RFC 7662 §2.2 introspection response into a plain object (the "process" half).
 * Anything but `200` with a JSON object carrying a boolean `active` is an endpoint problem:
 * `TemporarilyUnavailable` (503). `active` other than `true` is `InvalidToken` (401).
 * Does NOT check the claims: see {@link createIntrospectionVerifier}.
 */
export async function processIntrospectionResponse(response: Response): Promise<Record<string, unknown>> {
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new TemporarilyUnavailable({
      description: `the introspection endpoint answered HTTP ${response.status}`,
    });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new TemporarilyUnavailable({ description: 'the introspection response is not JSON', cause });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TemporarilyUnavailable({ description: 'the introspection response is not a JSON object' });
  }
  const { active } = body as { active?: unknown };
  if (typeof active !== 'boolean') {
    throw new TemporarilyUnavailable({ description: 'the introspection response has no boolean "active"' });
  }
  if (!active) throw invalidToken('token is not active');
  return body as Record<string, unknown>;
}

/**
 * Creates a verifier that asks the authorization server about each token (RFC 7662), for opaque
 * tokens or when revocation must take effect quickly. Options are validated here.
 *
 * After `active: true` it checks: `token_type`, when present, is not `refresh_token`; `iss`, when
 * present, equals `issuer`; `aud` is present and contains `audience`; `exp`, when present, is not
 * past and `nbf` not in the future (5 seconds tolerance); a client id is present (`client_id`,
 * `azp`, `cid`). Positive answers are cached for `cacheTtlSeconds`, never beyond `exp`.
 *
 * It does NOT check scopes, and trusts the endpoint for signature, revocation and everything else.
 * A network failure, a non-200 answer or a malformed body rejects with `TemporarilyUnavailable`.
 *
 * @example
 * const verifier = createIntrospectionVerifier({
 *   introspectionEndpoint: 'https://auth.example.com/introspect',
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://mcp.example.com/mcp',
 *   clientId: 'mcp-server',
 *   clientSecret: process.env.INTROSPECTION_SECRET!,
 * });
 */
export function createIntrospectionVerifier(options: IntrospectionVerifierOptions): AccessTokenVerifier {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('introspection verifier options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'the introspection verifier');
  const endpoint = requireEndpointUrl(options.introspectionEndpoint, 'introspectionEndpoint');
  const issuer = requireIssuer(options.issuer);
  const audience = requireAudience(options.audience);
  const clientId = requireString(
    options.clientId,
    'clientId',
    "the resource server's client id at the issuer",
  );
  const clientSecret = requireString(options.clientSecret, 'clientSecret', 'the secret of "clientId"');
  const ttl = optionalSeconds(
    options.cacheTtlSeconds,
    'cacheTtlSeconds',
    VERIFY_DEFAULTS.introspectionCacheTtlSeconds,
    0,
    300,
  );
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw invalidArgument('"now" must be a function returning milliseconds', 'ERR_INVALID_ARG_TYPE');
  }
  const now = options.now ?? Date.now;
  const authorization = basicCredentials(clientId, clientSecret);
  const fetchImpl = createSafeFetch(options.fetchPolicy ?? {});
  const cache = ttl === 0 ? undefined : new VerificationCache({ maxTtlSeconds: ttl, now });
  const tolerance = VERIFY_DEFAULTS.clockToleranceSeconds;

  function toAuthInfo(token: string, body: Record<string, unknown>): AuthInfo {
    const claims: Readonly<Record<string, unknown>> = Object.freeze({ ...body });
    const tokenType = claims.token_type;
    if (typeof tokenType === 'string' && tokenType.toLowerCase() === 'refresh_token') {
      throw invalidToken('token is not an access token');
    }
    if (claims.iss !== undefined && claims.iss !== issuer) throw invalidToken('token issuer is not accepted');
    const audiences = readAudience(claims, audience);
    const seconds = now() / 1000;
    const exp = readNumericDate(claims, 'exp');
    if (exp !== undefined && exp <= seconds - tolerance) throw invalidToken('token expired');
    const nbf = readNumericDate(claims, 'nbf');
    if (nbf !== undefined && nbf > seconds + tolerance) throw invalidToken('token is not yet valid');
    return createAuthInfo(token, {
      clientId: readClientId(claims),
      scopes: readScopes(claims),
      subject: readSubject(claims),
      expiresAt: exp,
      resource: new URL(audience),
      issuer,
      audience: Object.freeze(audiences),
      claims,
    });
  }

  return {
    async verify(token: string): Promise<AuthInfo> {
      if (typeof token !== 'string' || token === '') throw invalidToken('token is malformed');
      const hit = cache?.get(token);
      if (hit !== undefined) return hit;
      let response: Response;
      try {
        response = await introspectionRequest(fetchImpl, endpoint, token, authorization);
      } catch (cause) {
        throw new TemporarilyUnavailable({
          description: 'the introspection endpoint could not be reached',
          cause,
        });
      }
      const body = await processIntrospectionResponse(response);
      const info = toAuthInfo(token, body);
      cache?.set(info, readNumericDate(info.claims, 'nbf'));
      return info;
    },
  };
}
