/**
 * Checking the DPoP proof of a request that presents a DPoP-bound access token (RFC 9449 §4.3, §7.1;
 * MCP extension `io.modelcontextprotocol/auth/dpop`, SEP-1932). One small check per step, in the
 * RFC's order; the first failure is an {@link InvalidDpopProof} naming the step:
 *
 * | § 4.3 step | check |
 * | --- | --- |
 * | 1 | exactly one `DPoP` header |
 * | 2 | a well-formed compact JWS |
 * | 4 | `typ` is `dpop+jwt` |
 * | 5 | `alg` asymmetric and allowed (never `none`, never `HS*`) |
 * | 6, 7 | the signature verifies with the header's `jwk`, which holds no private key |
 * | 3 | `jti`, `htm`, `htu`, `iat` present, and `ath` (a token is presented, §7) |
 * | 8 | `htm` is the request method |
 * | 9 | `htu` is this request's URL without query and fragment |
 * | 11 | `iat` within `iatWindowSeconds` of now (either side) |
 * | 12 | `ath` is the SHA-256 of the presented token |
 * | 12 | the `jwk` thumbprint (RFC 7638) is the token's `cnf.jkt` |
 * | §11.1 | `jti` not seen before (bounded replay cache) |
 *
 * Does NOT issue or check server nonces (§9: step 10 is skipped).
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '@gatehouse/core';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../verify/defaults.js';
import { InvalidDpopProof } from './invalid-dpop-proof.js';
import { createReplayCache } from './replay-cache.js';

/** Defaults of {@link DpopOptions}. */
export const DPOP_DEFAULTS = Object.freeze({
  /** Proof algorithms accepted and published (`dpop_signing_alg_values_supported`). */
  algorithms: Object.freeze(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256']),
  /** How far a proof's `iat` may be from now, in seconds (SEP-1932: ±5 minutes). */
  iatWindowSeconds: 300,
  /** Proof `jti`s remembered for replay detection. */
  maxReplayEntries: 100_000,
});

/** Options of DPoP support in a resource server. Each default is stated on its field. */
export interface DpopOptions {
  /**
   * Refuse tokens that are not DPoP-bound (`cnf.jkt`), and challenge with `DPoP` only; published as
   * `dpop_bound_access_tokens_required: true` (RFC 9728). Default `false`: bearer tokens are
   * accepted too, and the challenges offer both schemes (RFC 9449 §7.2).
   */
  readonly required?: boolean;
  /** Proof algorithms accepted (asymmetric only). Default {@link DPOP_DEFAULTS}.algorithms. */
  readonly algorithms?: readonly string[];
  /** Accepted distance of a proof's `iat` from now, seconds. Default 300. */
  readonly iatWindowSeconds?: number;
  /** Size of the `jti` replay cache. Default 100 000. */
  readonly maxReplayEntries?: number;
}

/** What the proof of one request must match. */
export interface DpopProofExpectations {
  /** The access token presented with `Authorization: DPoP`. */
  readonly accessToken: string;
  /** The token's `cnf.jkt` (RFC 9449 §6.1). */
  readonly jkt: string;
  /**
   * The URLs `htu` may name, without query or fragment: the request's URL and, behind a proxy, the
   * same path at the resource's public origin.
   */
  readonly targets: readonly string[];
}

/** Checks DPoP proofs; keeps the replay cache. */
export interface DpopProofVerifier {
  /** The accepted algorithms, as published. */
  readonly algorithms: readonly string[];
  readonly required: boolean;
  /** Resolves when the request's proof passes every check; rejects with {@link InvalidDpopProof}. */
  verify(request: Request, expected: DpopProofExpectations): Promise<void>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** `scheme://host[:port]/path` of a URL, normalized by the URL parser (RFC 9449 §4.3 step 9). */
export function dpopTarget(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

function refuse(description: string): never {
  throw new InvalidDpopProof({ description });
}

function checkAlgorithms(value: unknown): readonly string[] {
  if (value === undefined) return DPOP_DEFAULTS.algorithms;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((alg) => typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.has(alg))
  ) {
    throw invalidArgument(
      `"dpop.algorithms" must be a non-empty list of asymmetric JWS algorithms (${[...ASYMMETRIC_ALGORITHMS].join(', ')}): RFC 9449 §4.2 forbids none and MACs`,
    );
  }
  return Object.freeze([...new Set(value as string[])]);
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalidArgument(`"dpop.${name}" must be a positive integer`);
  }
  return value;
}

/**
 * Creates a DPoP proof verifier. Options are checked now (misuse: `TypeError`).
 *
 * @example
 * const dpop = createDpopProofVerifier({ required: true });
 * await dpop.verify(request, { accessToken, jkt: claims.cnf.jkt, targets: [dpopTarget(request.url)] });
 */
export function createDpopProofVerifier(
  options: DpopOptions = {},
  now: () => number = Date.now,
): DpopProofVerifier {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('"dpop" must be an object (or true)', 'ERR_INVALID_ARG_TYPE');
  }
  for (const key of Object.keys(options)) {
    if (!['required', 'algorithms', 'iatWindowSeconds', 'maxReplayEntries'].includes(key)) {
      throw invalidArgument(`unknown option "dpop.${key}"`);
    }
  }
  if (options.required !== undefined && typeof options.required !== 'boolean') {
    throw invalidArgument('"dpop.required" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  const algorithms = checkAlgorithms(options.algorithms);
  const window = positive(options.iatWindowSeconds, 'iatWindowSeconds', DPOP_DEFAULTS.iatWindowSeconds);
  const maxEntries = positive(options.maxReplayEntries, 'maxReplayEntries', DPOP_DEFAULTS.maxReplayEntries);
  // A proof is acceptable until iat + window, and iat may be up to window ahead: 2 windows.
  const replays = createReplayCache(2 * window, maxEntries, now);

  async function verify(request: Request, expected: DpopProofExpectations): Promise<void> {
    const proof = request.headers.get('dpop');
    if (proof === null || proof === '') refuse('the request has no DPoP proof');
    if (proof.includes(',')) refuse('the request has more than one DPoP header');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      refuse('the DPoP proof is not a well-formed JWS');
    }
    if (header.typ !== 'dpop+jwt') refuse('the DPoP proof "typ" is not "dpop+jwt"');
    const alg = header.alg;
    if (typeof alg !== 'string' || !algorithms.includes(alg)) refuse('the DPoP proof "alg" is not accepted');
    const jwk = header.jwk as JWK | undefined;
    if (typeof jwk !== 'object' || jwk === null) refuse('the DPoP proof has no "jwk" header');
    if (PRIVATE_MEMBERS.some((member) => member in jwk))
      refuse('the DPoP proof "jwk" contains a private key');
    let payload: Record<string, unknown>;
    try {
      const key = await importJWK(jwk, alg);
      ({ payload } = await jwtVerify(proof, key, { algorithms: [alg], typ: 'dpop+jwt' }));
    } catch {
      refuse('the DPoP proof signature does not verify with its "jwk"');
    }
    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti === '' || jti.length > 256)
      refuse('the DPoP proof has no usable "jti"');
    if (htm !== request.method) refuse('the DPoP proof "htm" is not the request method');
    if (typeof htu !== 'string' || !URL.canParse(htu)) refuse('the DPoP proof has no usable "htu"');
    if (!expected.targets.includes(dpopTarget(htu)))
      refuse('the DPoP proof "htu" is not this request\'s URL');
    if (typeof iat !== 'number' || Math.abs(now() / 1000 - iat) > window) {
      refuse('the DPoP proof "iat" is outside the accepted window');
    }
    const hash = createHash('sha256').update(expected.accessToken, 'ascii').digest('base64url');
    if (ath !== hash) refuse('the DPoP proof "ath" does not match the access token');
    if ((await calculateJwkThumbprint(jwk, 'sha256')) !== expected.jkt) {
      refuse('the DPoP proof key is not the key the access token is bound to');
    }
    if (!replays.add(`${expected.jkt}.${jti}`)) refuse('the DPoP proof was already used');
  }

  return Object.freeze({ algorithms, required: options.required ?? false, verify });
}
