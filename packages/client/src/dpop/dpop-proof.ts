/**
 * DPoP proofs (RFC 9449 §4.2) and the server-provided nonces that go into them (§8 authorization
 * server, §9 resource server): a {@link DpopSession} signs one fresh proof per HTTP request and
 * remembers the last `DPoP-Nonce` each endpoint sent.
 */
import { createHash, randomUUID } from 'node:crypto';
import { findChallenge, parseWwwAuthenticate } from '@gatehouse/core';
import { SignJWT } from 'jose';
import { DPOP_ALGORITHM, type DpopKey } from './dpop-key.js';

/** RFC 9449 §8.1 `nonce` syntax (NQCHAR), bounded. Anything else from a server is ignored. */
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/;
/** Endpoints whose nonce is remembered; the oldest is forgotten beyond this. */
const MAX_NONCES = 32;

/**
 * The `htu` of a request to `url` (RFC 9449 §4.2): the URL without query, fragment or userinfo.
 *
 * @example
 * dpopTarget('https://mcp.example.com/mcp?x=1#f'); // 'https://mcp.example.com/mcp'
 */
export function dpopTarget(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** RFC 9449 §4.2 `ath`: base64url(SHA-256(the ASCII access token)). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** Signs DPoP proofs with one key and keeps the nonces servers gave it. */
export interface DpopSession {
  readonly key: DpopKey;
  /**
   * A new proof for one request: header `typ: dpop+jwt`, `alg: ES256`, the public `jwk`; claims
   * `jti` (random), `htm`, `htu` ({@link dpopTarget}), `iat`, `ath` when `accessToken` is given, and
   * `nonce` when this endpoint sent one. Never reuse a proof: call this per request.
   */
  proof(method: string, url: string | URL, accessToken?: string): Promise<string>;
  /**
   * Keeps the `DPoP-Nonce` header of `response` (from a request to `url`) for the next proofs to
   * that endpoint. Returns whether a nonce was present and valid.
   */
  rememberNonce(url: string | URL, response: Response): boolean;
}

/**
 * A {@link DpopSession} for `key`. Nonces are kept per endpoint (`htu`), in memory.
 *
 * @example
 * const session = createDpopSession(await generateDpopKey());
 * headers.dpop = await session.proof('POST', tokenEndpoint);
 */
export function createDpopSession(key: DpopKey): DpopSession {
  const nonces = new Map<string, string>();
  return Object.freeze({
    key,
    async proof(method: string, url: string | URL, accessToken?: string) {
      const htu = dpopTarget(url);
      const nonce = nonces.get(htu);
      return new SignJWT({
        htm: method.toUpperCase(),
        htu,
        ...(accessToken === undefined ? {} : { ath: accessTokenHash(accessToken) }),
        ...(nonce === undefined ? {} : { nonce }),
      })
        .setProtectedHeader({ alg: DPOP_ALGORITHM, typ: 'dpop+jwt', jwk: { ...key.publicJwk } })
        .setJti(randomUUID())
        .setIssuedAt()
        .sign(key.privateKey);
    },
    rememberNonce(url: string | URL, response: Response) {
      const nonce = response.headers.get('dpop-nonce');
      if (nonce === null || !NONCE.test(nonce)) return false;
      const htu = dpopTarget(url);
      nonces.delete(htu);
      nonces.set(htu, nonce);
      if (nonces.size > MAX_NONCES) nonces.delete(nonces.keys().next().value as string);
      return true;
    },
  });
}

/**
 * Whether a token endpoint response is the RFC 9449 §8 nonce demand: 400 with a `DPoP-Nonce` header
 * and `"error": "use_dpop_nonce"` in its JSON body (read from a clone; `response` stays unread).
 */
export async function isUseDpopNonceError(response: Response): Promise<boolean> {
  if (response.status !== 400 || !response.headers.has('dpop-nonce')) return false;
  try {
    const body = (await response.clone().json()) as unknown;
    return (
      typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'use_dpop_nonce'
    );
  } catch {
    return false;
  }
}

/**
 * Whether a resource server response is the RFC 9449 §9 nonce demand: 401 with a `DPoP-Nonce`
 * header and a `DPoP` challenge whose `error` is `use_dpop_nonce`.
 */
export function isUseDpopNonceChallenge(response: Response): boolean {
  if (response.status !== 401 || !response.headers.has('dpop-nonce')) return false;
  const challenge = findChallenge(parseWwwAuthenticate(response.headers.get('www-authenticate')), 'DPoP');
  return challenge?.params.error === 'use_dpop_nonce';
}
