/**
 * Turns an error from authentication into the HTTP response a protected resource answers with.
 *
 * | error                                  | status | `WWW-Authenticate`                                                   |
 * | -------------------------------------- | ------ | -------------------------------------------------------------------- |
 * | {@link InvalidToken}, no token sent    | 401    | `Bearer resource_metadata="…"[, scope="…"]` (no error, RFC 6750 §3.1) |
 * | {@link InvalidToken}                   | 401    | `Bearer error="invalid_token", error_description="…", resource_metadata="…"[, scope="…"]` |
 * | {@link InsufficientScope}              | 403    | `Bearer error="insufficient_scope", scope="…", resource_metadata="…", error_description="…"` |
 * | {@link InvalidRequest}                 | 400    | `Bearer error="invalid_request", error_description="…", resource_metadata="…"` |
 * | {@link InvalidDpopProof}               | 401    | `DPoP error="invalid_dpop_proof", error_description="…", algs="…", resource_metadata="…"` |
 * | {@link TemporarilyUnavailable}         | 503    | none; `Retry-After` instead                                           |
 * | anything else                          | 500    | none; generic JSON-RPC error body, details only on the diagnostics channel |
 *
 * Specs: RFC 6750 §3 and §3.1 (challenge and error codes), RFC 9728 §5.1 (`resource_metadata`),
 * MCP 2025-06-18 § Authorization Server Location (the 401 MUST carry `resource_metadata`),
 * MCP 2025-11-25 § Scope Challenge Handling (403 format), MCP 2026-07-28 § Refresh Tokens
 * (`offline_access` never in `scope`, S7).
 *
 * Every response has a JSON body `{ error, error_description }` (or a JSON-RPC error for the 500)
 * and `Cache-Control: no-store`. Descriptions are reduced to the RFC 6750 `error_description`
 * character set; a description that contains the presented token is replaced by a generic one.
 * With DPoP enabled (`dpop` option, RFC 9449 §7.1–7.2), a `DPoP algs="…"` challenge follows the
 * `Bearer` one (or replaces it when DPoP is required), and the error parameters go on the challenge
 * of the scheme the request used.
 *
 * This module does NOT decide which error applies: it only renders one.
 */
import {
  buildWwwAuthenticate,
  type Challenge,
  InsufficientScope,
  InvalidRequest,
  InvalidToken,
  OAuthError,
  TemporarilyUnavailable,
} from '@gatehouse/core';
import { publish } from './diagnostics.js';
import { InvalidDpopProof } from './dpop/invalid-dpop-proof.js';
import { OFFLINE_ACCESS } from './scopes.js';

/** Defaults of {@link ChallengeOptions}. */
export const CHALLENGE_DEFAULTS = {
  /** `Retry-After` on 503, in seconds. */
  retryAfterSeconds: 5,
} as const;

/** Options of {@link errorResponse}. */
export interface ChallengeOptions {
  /** The Protected Resource Metadata URL, sent as `resource_metadata` (RFC 9728 §5.1). Required. */
  resourceMetadataUrl: string;
  /**
   * The scopes the operation needs, sent as `scope` on 401 challenges (MCP 2025-11-25 § Scope
   * Selection Strategy). `offline_access` is dropped. Default: no `scope` on 401.
   * On 403 the scopes of the {@link InsufficientScope} error are used instead.
   */
  scope?: readonly string[];
  /** The token the request presented, if any: used only to make sure no description echoes it. */
  token?: string;
  /** `Retry-After` seconds on 503. Default {@link CHALLENGE_DEFAULTS}.retryAfterSeconds. */
  retryAfterSeconds?: number;
  /** DPoP support of the resource (see the module comment). Default: none, `Bearer` challenges only. */
  dpop?: DpopChallengeOptions;
}

/** How a resource with DPoP support challenges (RFC 9449 §7.1). */
export interface DpopChallengeOptions {
  /** The proof algorithms accepted, sent as `algs`. */
  algorithms: readonly string[];
  /** Only DPoP-bound tokens are accepted: no `Bearer` challenge. */
  required: boolean;
  /** The scheme the request presented its token with, if any: its challenge carries the error. */
  presented?: 'Bearer' | 'DPoP';
}

const GENERIC_DESCRIPTIONS: Record<string, string> = {
  invalid_token: 'the access token is invalid',
  invalid_request: 'the request is malformed',
  insufficient_scope: 'the access token does not grant the scopes this operation requires',
  temporarily_unavailable: 'the access token cannot be checked right now; try again later',
};

/**
 * Makes a description safe for the wire: only RFC 6750 §3 `error_description` characters
 * (`%x20-21 / %x23-5B / %x5D-7E`), at most 200 of them, and never containing the token.
 */
export function sanitizeDescription(description: string | undefined, error: string, token?: string): string {
  const generic = GENERIC_DESCRIPTIONS[error] ?? 'the request was refused';
  if (description === undefined) return generic;
  if (token !== undefined && token.length > 0 && description.includes(token)) return generic;
  const cleaned = description
    .replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, 200);
  return cleaned === '' ? generic : cleaned;
}

function scopeParam(scopes: readonly string[] | undefined): string | undefined {
  if (scopes === undefined) return undefined;
  const filtered = [...new Set(scopes)].filter((scope) => scope !== OFFLINE_ACCESS);
  return filtered.length === 0 ? undefined : filtered.join(' ');
}

/**
 * The `Bearer` challenge for an OAuth error (RFC 6750 §3), or `undefined` for errors that carry no
 * challenge (503 and non-OAuth errors).
 */
export function bearerChallenge(error: unknown, options: ChallengeOptions): Challenge | undefined {
  const params: Record<string, string> = {};
  if (error instanceof InvalidToken) {
    if (error.tokenPresent) {
      params.error = 'invalid_token';
      params.error_description = sanitizeDescription(error.error_description, 'invalid_token', options.token);
    }
    params.resource_metadata = options.resourceMetadataUrl;
    const scope = scopeParam(options.scope);
    if (scope !== undefined) params.scope = scope;
    return { scheme: 'Bearer', params };
  }
  if (error instanceof InsufficientScope) {
    params.error = 'insufficient_scope';
    const scope = scopeParam(error.scope);
    if (scope !== undefined) params.scope = scope;
    params.resource_metadata = options.resourceMetadataUrl;
    params.error_description = sanitizeDescription(
      error.error_description,
      'insufficient_scope',
      options.token,
    );
    return { scheme: 'Bearer', params };
  }
  if (error instanceof InvalidRequest) {
    params.error = 'invalid_request';
    params.error_description = sanitizeDescription(error.error_description, 'invalid_request', options.token);
    params.resource_metadata = options.resourceMetadataUrl;
    return { scheme: 'Bearer', params };
  }
  return undefined;
}

/**
 * Every challenge for an OAuth error: the {@link bearerChallenge} alone, or with DPoP support the
 * `Bearer` and `DPoP` challenges (RFC 9449 §7.1, §7.2); `undefined` for errors without a challenge.
 */
export function challengesFor(error: unknown, options: ChallengeOptions): Challenge[] | undefined {
  const { dpop } = options;
  if (error instanceof InvalidDpopProof && dpop !== undefined) {
    const params = {
      error: 'invalid_dpop_proof',
      error_description: sanitizeDescription(error.error_description, 'invalid_dpop_proof', options.token),
      algs: dpop.algorithms.join(' '),
      resource_metadata: options.resourceMetadataUrl,
    };
    const dpopChallenge: Challenge = { scheme: 'DPoP', params };
    if (dpop.required) return [dpopChallenge];
    return [{ scheme: 'Bearer', params: { resource_metadata: options.resourceMetadataUrl } }, dpopChallenge];
  }
  const bearer = bearerChallenge(error, options);
  if (bearer === undefined || dpop === undefined) return bearer === undefined ? undefined : [bearer];
  const { resource_metadata, scope } = bearer.params;
  const plain: Record<string, string> = {
    ...(resource_metadata === undefined ? {} : { resource_metadata }),
    ...(scope === undefined ? {} : { scope }),
  };
  const errorOnDpop = dpop.required || dpop.presented === 'DPoP';
  const dpopChallenge: Challenge = {
    scheme: 'DPoP',
    params: { algs: dpop.algorithms.join(' '), ...(errorOnDpop ? bearer.params : plain) },
  };
  if (dpop.required) return [dpopChallenge];
  return [errorOnDpop ? { scheme: 'Bearer', params: plain } : bearer, dpopChallenge];
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  });
}

/**
 * The generic 500 answer: a JSON-RPC "Internal error" without `id`, details, or stack.
 * Publishes the error on the diagnostics channel (see `diagnostics.ts`).
 */
export function internalErrorResponse(error: unknown, reason?: string): Response {
  publish({ type: 'error', error, ...(reason === undefined ? {} : { reason }) });
  return jsonResponse(500, { jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
}

/**
 * Renders `error` as a response (see the table at the top of this module).
 *
 * @example
 * return errorResponse(InvalidToken.missing(), { resourceMetadataUrl, scope: ['mcp:read'] });
 * // 401, WWW-Authenticate: Bearer resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", scope="mcp:read"
 */
export function errorResponse(error: unknown, options: ChallengeOptions): Response {
  const challenges = challengesFor(error, options);
  if (challenges !== undefined) {
    const oauth = error as OAuthError;
    const description = challenges.find((challenge) => challenge.params.error !== undefined)?.params
      .error_description;
    const body = {
      error: oauth.error,
      error_description:
        description ?? sanitizeDescription(oauth.error_description, oauth.error, options.token),
    };
    publish({ type: 'rejected', status: oauth.status, error: oauth.error });
    return jsonResponse(oauth.status, body, { 'WWW-Authenticate': buildWwwAuthenticate(challenges) });
  }
  if (error instanceof TemporarilyUnavailable) {
    const seconds = options.retryAfterSeconds ?? CHALLENGE_DEFAULTS.retryAfterSeconds;
    publish({ type: 'rejected', status: 503, error: error.error });
    return jsonResponse(
      503,
      {
        error: 'temporarily_unavailable',
        error_description: sanitizeDescription(
          error.error_description,
          'temporarily_unavailable',
          options.token,
        ),
      },
      { 'Retry-After': String(Math.max(0, Math.ceil(seconds))) },
    );
  }
  if (error instanceof OAuthError) {
    return internalErrorResponse(error, `an OAuth error "${error.error}" has no resource-server response`);
  }
  return internalErrorResponse(error);
}
