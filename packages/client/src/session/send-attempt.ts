/**
 * One attempt of an `authFetch` request: the token attached for the MCP server's origin only, as
 * `Authorization: Bearer` (RFC 6750 §2.1) or, for a DPoP-bound token, `Authorization: DPoP` with a
 * fresh proof (RFC 9449 §7.1).
 */
import type { StoredTokens } from '../store/types.js';
import type { FetchLike } from './auth-fetch-options.js';
import type { DpopSessions } from './dpop-binding.js';
import { attemptInit, type ReplayableRequest } from './replayable-request.js';

/** Sends one attempt of a request with `token` (or none). */
export type SendAttempt = (request: ReplayableRequest, token: StoredTokens | undefined) => Promise<Response>;

/**
 * Creates the attempt sender of one `authFetch` instance. A request to another origin goes out
 * without any token. With a DPoP-bound token, each attempt gets a fresh proof (`ath` of the token),
 * and a nonce in the answer is kept for the next proof (RFC 9449 §9: a nonce may come with any
 * answer).
 */
export function createAttemptSender(
  origin: string,
  transport: FetchLike,
  dpopSessions: DpopSessions,
): SendAttempt {
  return async (request, token) => {
    if (token === undefined || new URL(request.url).origin !== origin) {
      return transport(request.url, attemptInit(request, undefined));
    }
    const dpop = await dpopSessions.forTokens(token);
    if (dpop === undefined) return transport(request.url, attemptInit(request, token.access_token));
    const proof = await dpop.proof(request.method, request.url, token.access_token);
    const response = await transport(request.url, attemptInit(request, token.access_token, proof));
    dpop.rememberNonce(request.url, response);
    return response;
  };
}
