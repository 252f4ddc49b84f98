/**
 * `authFetch`: a `fetch` for one MCP server that gets, keeps and renews its OAuth tokens (issue 4
 * item 1; MCP 2025-11-25 / 2026-07-28 § Authorization). It only composes the client's steps:
 *
 * ```
 * stored token? ─expiring─▶ refreshSingleFlight (scope re-sent) ─▶ request with Bearer
 *   401 ─▶ one refresh (single-flight) ─▶ retry; still 401 or no refresh token:
 *        discover(challenge) ─▶ resolveClientRegistration(store)
 *        ─▶ authorizeWithBrowser | authorizeWithDevice (flow) ─▶ store ─▶ retry once
 *   403 insufficient_scope ─▶ the same with held ∪ challenged scopes (≤ maxStepUps per call)
 * ```
 *
 * This file is the request loop; the pieces: `auth-fetch-options.ts` (options, defaults),
 * `token-binding.ts` (which stored entry, what a refresh needs), `token-renewal.ts` (refresh before
 * expiry and after a 401), `shared-authorization.ts` (the interactive step, one at a time),
 * `send-attempt.ts` (one attempt, Bearer or DPoP), `dpop-binding.ts` (the DPoP decision).
 */
import { splitScope } from '../discovery/bearer-challenge.js';
import { isUseDpopNonceChallenge } from '../dpop/dpop-proof.js';
import { discard } from '../http.js';
import {
  type AuthFetchOptions,
  checkAuthFetchOptions,
  clientIdentity,
  configuredClientId,
  type FetchLike,
} from './auth-fetch-options.js';
import { challengesDpopOnly, createDpopSessions, readChallenge } from './dpop-binding.js';
import { AuthorizationRejectedError, StepUpLimitError } from './errors.js';
import { toReplayable } from './replayable-request.js';
import { createAttemptSender } from './send-attempt.js';
import { createSharedAuthorization } from './shared-authorization.js';
import { createTokenBindings } from './token-binding.js';
import { createTokenRenewal } from './token-renewal.js';

export type { AuthFetchAuthorizationOptions, AuthFetchOptions, FetchLike } from './auth-fetch-options.js';

/**
 * Returns a `fetch` for the MCP server at `options.serverUrl` that handles OAuth on its own; pass it
 * as the `fetch` option of the SDK's `StreamableHTTPClientTransport` (v1 or v2). Per call:
 *
 * 1. the stored token (store key: issuer + canonical resource + client id; a new instance finds it
 *    with `store.list()`, without any network round trip) is attached as `Authorization: Bearer`,
 *    to the server's origin only; when it expires within `refreshSkewSeconds` it is renewed first
 *    through `refreshSingleFlight` (one redemption across concurrent calls and processes; the held
 *    `scope` re-sent). A failed refresh (`OAuthError`, e.g. `invalid_grant`) falls back to step 2;
 * 2. on 401 to a token it holds with a refresh token: one refresh (single-flight, as in 1.; a
 *    token another call or process stored meanwhile is used as is) and the request retried; the
 *    server may have stopped accepting a token that has not expired (revoked, keys rotated);
 * 3. on 401 otherwise, or again after that refresh, or when it was refused: `discover` with the
 *    challenge, `resolveClientRegistration` kept in the store, then `authorizeWithBrowser` or
 *    `authorizeWithDevice` (`flow`) with `options.authorization`, tokens stored, and the request
 *    retried once; a second 401 is {@link AuthorizationRejectedError}. Concurrent 401s share one
 *    authorization. With `interactive: false`: {@link AuthorizationRequiredError} instead;
 * 4. on 403 `insufficient_scope`: the same with the union of the held and challenged scopes, at
 *    most `maxStepUps` times per call, then {@link StepUpLimitError};
 * 5. more than `maxAuthorizationsPerMinute` interactive authorizations of this instance within a
 *    minute: `AuthorizationStormError` (the count is per `authFetch` instance, i.e. per server);
 * 6. DPoP-bound tokens (see `dpop`; RFC 9449) go out as `Authorization: DPoP` with a fresh proof, and
 *    a 401 `DPoP error="use_dpop_nonce"` is retried once per token with the resource's nonce.
 *
 * Bodies are buffered so a request can be retried; a `ReadableStream` `init.body` is refused with a
 * `TypeError`. Errors of the composed steps are passed through unchanged; none carries a token.
 * Misuse (unknown option, bad types) is a `TypeError` thrown here.
 *
 * Does NOT revoke tokens, or follow a server to another authorization server without a new 401
 * (a stored token of another issuer is used until the server refuses it).
 *
 * @example
 * const fetch = authFetch({ serverUrl: 'https://mcp.example.com/mcp', store: createFileStore() });
 * await client.connect(new StreamableHTTPClientTransport(new URL('https://mcp.example.com/mcp'), { fetch }));
 */
export function authFetch(options: AuthFetchOptions): FetchLike {
  const config = checkAuthFetchOptions(options);
  const { resource, store, http } = config;
  const origin = new URL(resource).origin;
  const identity = () => clientIdentity(options, config.authorization);
  const dpopSessions = createDpopSessions();
  const bindings = createTokenBindings({
    store,
    resource,
    http,
    identity,
    configuredClientId: () => configuredClientId(options),
  });
  const renewal = createTokenRenewal({ store, http, bindings, dpopSessions, skew: config.skew });
  const authorization = createSharedAuthorization({
    config,
    bindings,
    dpopSessions,
    dpop: options.dpop,
    identity,
  });
  const send = createAttemptSender(origin, config.transport, dpopSessions);

  return async function fetchWithAuthorization(input, init) {
    const request = await toReplayable(input, init);
    if (new URL(request.url).origin !== origin) return send(request, undefined);
    let token = await renewal.currentToken();
    let response = await send(request, token);
    let reauthorized = false;
    let refreshTried = false;
    let stepUps = 0;
    let nonceRetriedFor: string | undefined;
    for (;;) {
      if (
        token?.token_type === 'DPoP' &&
        nonceRetriedFor !== token.access_token &&
        isUseDpopNonceChallenge(response)
      ) {
        // RFC 9449 §9: the resource wants its nonce in the proof; `send` kept it. Once per token.
        nonceRetriedFor = token.access_token;
        await discard(response);
      } else if (response.status === 401) {
        if (reauthorized) {
          await discard(response);
          throw new AuthorizationRejectedError(resource);
        }
        const challenge = readChallenge(response);
        const dpopOnly = challengesDpopOnly(response.headers.get('www-authenticate'));
        await discard(response);
        const renewed = refreshTried || token === undefined ? undefined : await renewal.renewRejected(token);
        refreshTried = true;
        if (renewed !== undefined) {
          token = renewed;
        } else {
          const joined = authorization.inProgress();
          token = await authorization.authorize(challenge, config.scope, dpopOnly);
          // A joined authorization may be older than this 401: one more own attempt is allowed.
          reauthorized = !joined;
        }
      } else if (response.status === 403) {
        const challenge = readChallenge(response);
        if (challenge?.error !== 'insufficient_scope') return response;
        await discard(response);
        const union = [...new Set([...splitScope(token?.scope), ...splitScope(challenge.scope)])];
        if (stepUps >= config.maxStepUps) throw new StepUpLimitError(resource, stepUps, union);
        stepUps += 1;
        token = await authorization.authorize(challenge, union, token?.token_type === 'DPoP');
        reauthorized = true;
      } else {
        return response;
      }
      response = await send(request, token);
    }
  };
}
