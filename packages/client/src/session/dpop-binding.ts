/**
 * What `authFetch` needs for DPoP (RFC 9449; MCP extension `io.modelcontextprotocol/auth/dpop`,
 * SEP-1932): whether to ask for DPoP-bound tokens, the challenge of a resource that speaks DPoP, and
 * one {@link DpopSession} per stored key (so server nonces are remembered across requests).
 */
import { findChallenge, parseWwwAuthenticate } from '@gatehouse/core';
import { type BearerChallenge, readBearerChallenge } from '../discovery/bearer-challenge.js';
import { challengeParams } from '../discovery/challenge-params.js';
import type { Discovery } from '../discovery/discover.js';
import { DPOP_ALGORITHM, type DpopKey, importDpopKey } from '../dpop/dpop-key.js';
import { createDpopSession, type DpopSession } from '../dpop/dpop-proof.js';
import type { StoredTokens } from '../store/types.js';

/**
 * The challenge of a 401 / 403: the `Bearer` one, else the `DPoP` one (RFC 9449 §7.1; a resource
 * that accepts only DPoP-bound tokens challenges with `DPoP` alone), with the same parameters.
 */
export function readChallenge(response: Response): BearerChallenge | undefined {
  const bearer = readBearerChallenge(response);
  if (bearer !== undefined) return bearer;
  const dpop = findChallenge(parseWwwAuthenticate(response.headers.get('www-authenticate')), 'DPoP');
  if (dpop === undefined) return undefined;
  return challengeParams(dpop.params);
}

/** Whether a 401's challenges offer `DPoP` and not `Bearer`: the resource accepts DPoP-bound tokens only. */
export function challengesDpopOnly(header: string | null): boolean {
  const challenges = parseWwwAuthenticate(header);
  return findChallenge(challenges, 'DPoP') !== undefined && findChallenge(challenges, 'Bearer') === undefined;
}

/**
 * Whether to ask for DPoP-bound tokens: never when the authorization server does not list ES256 in
 * `dpop_signing_alg_values_supported` (RFC 8414 / RFC 9449 §5.1), or the resource's
 * `dpop_signing_alg_values_supported` (RFC 9728) leaves ES256 out; else `option` when given; else
 * (`undefined`: automatic) when the resource requires it: `dpop_bound_access_tokens_required: true`
 * in its metadata, or a 401 that offered only the `DPoP` scheme (`dpopOnly`).
 */
export function shouldUseDpop(option: boolean | undefined, discovery: Discovery, dpopOnly: boolean): boolean {
  const asAlgs = discovery.authorizationServer.metadata.dpop_signing_alg_values_supported;
  if (!asAlgs?.includes(DPOP_ALGORITHM)) return false;
  const resource = discovery.protectedResource?.metadata;
  const rsAlgs = resource?.dpop_signing_alg_values_supported;
  if (rsAlgs !== undefined && !rsAlgs.includes(DPOP_ALGORITHM)) return false;
  if (option !== undefined) return option;
  return resource?.dpop_bound_access_tokens_required === true || dpopOnly;
}

/** One DPoP session per key, for the life of an `authFetch` (nonces are per session). */
export interface DpopSessions {
  /** Registers the session of a new key. */
  add(key: DpopKey): DpopSession;
  /** The session for stored DPoP tokens (imported on first use), `undefined` for bearer tokens. */
  forTokens(tokens: StoredTokens | undefined): Promise<DpopSession | undefined>;
}

/** Creates the per-`authFetch` cache of DPoP sessions, keyed by the key's public `x` coordinate. */
export function createDpopSessions(): DpopSessions {
  const sessions = new Map<string, DpopSession>();
  const add = (key: DpopKey) => {
    const session = createDpopSession(key);
    sessions.set(key.privateJwk.x, session);
    return session;
  };
  return {
    add,
    async forTokens(tokens) {
      if (tokens?.token_type !== 'DPoP' || tokens.dpop_jwk === undefined) return undefined;
      return sessions.get(tokens.dpop_jwk.x) ?? add(await importDpopKey(tokens.dpop_jwk));
    },
  };
}
