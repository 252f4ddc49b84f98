/**
 * Which scheme a request presents its access token with (RFC 6750 `Bearer`, RFC 9449 §7.1 `DPoP`)
 * and whether that fits the token's key binding (`cnf.jkt`, RFC 9449 §6): a DPoP-bound token is
 * accepted only with the `DPoP` scheme and a valid proof, never as a bearer token (§7.2).
 */
import { InvalidRequest, InvalidToken } from '@gatehouse/core';
import type { AuthInfo } from '../auth-info.js';
import { extractBearerToken } from '../bearer.js';
import { refuseTokenInQuery } from '../query-token.js';
import { type DpopProofVerifier, dpopTarget } from './dpop-proof-verifier.js';

/** The token of a request and the scheme it came with. */
export interface PresentedToken {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/** `credentials = "DPoP" 1*SP token68` (RFC 9449 §7.1), scheme case-insensitive. */
const DPOP_CREDENTIALS = /^dpop +([A-Za-z0-9\-._~+/]+=*)$/i;
const DPOP_SCHEME = /^dpop(?: |$)/i;

/** Whether the request's `Authorization` header uses the `DPoP` scheme (and DPoP is accepted). */
export function presentsDpop(request: Request, acceptDpop: boolean): boolean {
  const header = request.headers.get('authorization');
  return acceptDpop && header !== null && DPOP_SCHEME.test(header);
}

/**
 * The request's access token: `Authorization: DPoP <token>` when `acceptDpop`, else (and for every
 * other header) {@link extractBearerToken}'s rules. A malformed `DPoP` header, or a token in the
 * query string, is an `InvalidRequest` (400).
 */
export function extractPresentedToken(request: Request, acceptDpop: boolean): PresentedToken {
  if (!presentsDpop(request, acceptDpop)) return { scheme: 'Bearer', token: extractBearerToken(request) };
  refuseTokenInQuery(request);
  const header = request.headers.get('authorization') ?? '';
  const match = DPOP_CREDENTIALS.exec(header);
  if (match === null) {
    throw new InvalidRequest({
      description: 'the Authorization header must be "DPoP", a space and the token',
    });
  }
  return { scheme: 'DPoP', token: match[1] as string };
}

/**
 * The `cnf.jkt` of verified claims (RFC 9449 §6.1, §6.2 for introspection), or `undefined` for an
 * unbound token. A `cnf.jkt` that is not a non-empty string is an `InvalidToken`.
 */
export function boundKeyThumbprint(claims: Readonly<Record<string, unknown>>): string | undefined {
  const { cnf } = claims;
  if (typeof cnf !== 'object' || cnf === null || !('jkt' in cnf)) return undefined;
  const { jkt } = cnf as { jkt: unknown };
  if (typeof jkt !== 'string' || jkt === '') {
    throw new InvalidToken({ description: 'the access token "cnf.jkt" claim is malformed' });
  }
  return jkt;
}

/** Throws `InvalidToken` when a token presented as `Bearer` is DPoP-bound (RFC 9449 §7.2). */
export function refuseBoundBearerToken(info: AuthInfo): void {
  if (boundKeyThumbprint(info.claims) !== undefined) {
    throw new InvalidToken({
      description: 'the access token is DPoP-bound: present it with the DPoP scheme and a proof',
    });
  }
}

/**
 * Checks that the scheme fits the binding: a bound token only with `DPoP` and a proof passing
 * `dpop.verify` (the `htu` may name the request URL or the same path at `publicOrigin`); an unbound
 * token only as `Bearer`, and not at all when `dpop.required`. Rejects with `InvalidToken` or
 * `InvalidDpopProof`.
 */
export async function checkTokenBinding(
  request: Request,
  presented: PresentedToken,
  info: AuthInfo,
  dpop: DpopProofVerifier | undefined,
  publicOrigin: string,
): Promise<void> {
  if (presented.scheme === 'Bearer') {
    refuseBoundBearerToken(info);
    if (dpop?.required) {
      throw new InvalidToken({ description: 'this resource accepts DPoP-bound access tokens only' });
    }
    return;
  }
  const jkt = boundKeyThumbprint(info.claims);
  if (jkt === undefined || dpop === undefined) {
    throw new InvalidToken({
      description: 'the access token is not DPoP-bound: present it as a Bearer token',
    });
  }
  const url = new URL(request.url);
  const targets = [dpopTarget(url), `${publicOrigin}${url.pathname}`];
  await dpop.verify(request, { accessToken: presented.token, jkt, targets });
}
