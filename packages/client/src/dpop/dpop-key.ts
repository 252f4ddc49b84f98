/**
 * The client's DPoP key pair (RFC 9449 §2): ES256 (P-256), created per authorization and kept in the
 * token store with the tokens it binds (`StoredTokens.dpop_jwk`), so a refresh in another process
 * proves possession of the same key.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The DPoP algorithm of this client: ES256 (RFC 9449 §4.2 asymmetric; every DPoP server supports it). */
export const DPOP_ALGORITHM = 'ES256';

/**
 * A P-256 private key as a JWK (RFC 7517), as stored. Secret (`d`): keep it in a protected store
 * and never log it.
 */
export interface DpopPrivateJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly d: string;
}

/** A usable DPoP key: the private key for signing, the public JWK sent in proofs, its thumbprint. */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  /** The public half only (`kty`, `crv`, `x`, `y`): what a proof's `jwk` header carries. */
  readonly publicJwk: Readonly<JWK>;
  /** RFC 7638 SHA-256 thumbprint of `publicJwk`: the `cnf.jkt` of the tokens bound to it (RFC 9449 §6.1). */
  readonly thumbprint: string;
  /** The private JWK to store with the tokens. Secret. */
  readonly privateJwk: DpopPrivateJwk;
}

function isPart(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{40,50}$/.test(value);
}

/** Whether `value` is a stored P-256 private JWK (shape only). */
export function isDpopPrivateJwk(value: unknown): value is DpopPrivateJwk {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  return jwk.kty === 'EC' && jwk.crv === 'P-256' && isPart(jwk.x) && isPart(jwk.y) && isPart(jwk.d);
}

/** The public JWK of a private one: the members RFC 7638 names for EC keys, nothing secret. */
function publicOf(jwk: DpopPrivateJwk): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/**
 * Makes a {@link DpopKey} from a stored private JWK (misuse: `TypeError` when it is not a P-256 private
 * JWK). The private key is imported non-extractable.
 *
 * @example
 * const key = await importDpopKey(stored.dpop_jwk);
 */
export async function importDpopKey(privateJwk: DpopPrivateJwk): Promise<DpopKey> {
  if (!isDpopPrivateJwk(privateJwk)) {
    throw new TypeError('the stored DPoP key is not a P-256 private JWK');
  }
  const privateKey = (await importJWK({ ...privateJwk }, DPOP_ALGORITHM, {
    extractable: false,
  })) as CryptoKey;
  const publicJwk = Object.freeze(publicOf(privateJwk));
  return Object.freeze({
    privateKey,
    publicJwk,
    thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256'),
    privateJwk: Object.freeze({ ...privateJwk }),
  });
}

/**
 * Creates a new ES256 DPoP key pair.
 *
 * @example
 * const key = await generateDpopKey(); // key.thumbprint is the jkt of the tokens it will bind
 */
export async function generateDpopKey(): Promise<DpopKey> {
  const { privateKey } = await generateKeyPair(DPOP_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return importDpopKey({
    kty: 'EC',
    crv: 'P-256',
    x: jwk.x as string,
    y: jwk.y as string,
    d: jwk.d as string,
  });
}
