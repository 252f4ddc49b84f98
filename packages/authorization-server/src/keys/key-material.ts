/**
 * Key material of the authorization server: generating it and checking what the key store gives
 * back. A signing key is an ES256 (P-256) private JWK stored as JSON; a cookie key is 32 random
 * bytes, base64url. Nothing here ever puts key material into an error message.
 */

import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyRecord, KeyUse } from '../storage/contract.js';

/** Bytes of a cookie key (HMAC-SHA256 keys for oidc-provider's signed cookies: 256 bits). */
export const COOKIE_KEY_BYTES = 32;

/** Stable code of {@link KeyMaterialError}. */
export type KeyMaterialErrorCode = 'ERR_KEY_MATERIAL_INVALID';

/**
 * A key read from the store cannot be used (corrupted or edited row). The message names the store
 * kid and what is wrong, never the material. The authorization server refuses to start rather than
 * silently generating a replacement, which would sign every user out and invalidate every token.
 */
export class KeyMaterialError extends Error {
  override readonly name = 'KeyMaterialError';
  readonly code: KeyMaterialErrorCode = 'ERR_KEY_MATERIAL_INVALID';
  /** The store kid of the unusable key. */
  readonly kid: string;

  constructor(kid: string, use: KeyUse, problem: string) {
    super(
      `${use} key ${JSON.stringify(kid)} in the key store is unusable: ${problem}. ` +
        'Restore the row from a backup or delete it (every session or token that depends on it is then lost).',
    );
    this.kid = kid;
  }
}

/**
 * Generates an ES256 signing key (RFC 7518 §3.4) as a private JWK with `kid` = its RFC 7638 SHA-256
 * thumbprint, `alg: 'ES256'` and `use: 'sig'` (the form oidc-provider's `jwks` option takes).
 */
export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d, kid, alg: 'ES256', use: 'sig' };
}

/** Generates a cookie key: {@link COOKIE_KEY_BYTES} random bytes, base64url (no padding). */
export function generateCookieSecret(): string {
  return randomBytes(COOKIE_KEY_BYTES).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** True when `value` is base64url (no padding) of exactly `bytes` bytes. */
function isBase64url(value: unknown, bytes: number): value is string {
  return (
    typeof value === 'string' &&
    BASE64URL.test(value) &&
    value.length === Math.ceil((bytes * 4) / 3) &&
    Buffer.from(value, 'base64url').length === bytes
  );
}

/**
 * Reads and checks a stored signing key: a JSON object that is a P-256 private JWK for ES256 whose
 * `kid` is its own thumbprint and whose private part `d` matches the public point (`x`, `y`),
 * proven by signing and verifying a probe. Returns a fresh copy with only the JWK members we use.
 *
 * @throws {KeyMaterialError} naming the store kid and the problem (never the material).
 */
export async function parseSigningMaterial(record: KeyRecord): Promise<JWK> {
  const fail = (problem: string): KeyMaterialError => new KeyMaterialError(record.kid, 'signing', problem);
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.material);
  } catch {
    // The parser's message quotes the input: it must not reach the error.
    throw fail('its material is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw fail('its material is not a JSON object');
  }
  const j = parsed as Record<string, unknown>;
  if (j.kty !== 'EC' || j.crv !== 'P-256') throw fail('it is not a P-256 EC key ("kty"/"crv")');
  if (j.alg !== 'ES256') throw fail('"alg" is not ES256');
  if (j.use !== 'sig') throw fail('"use" is not "sig"');
  for (const member of ['x', 'y', 'd'] as const) {
    if (!isBase64url(j[member], 32)) throw fail(`"${member}" is not 32 bytes of base64url`);
  }
  const jwk = { kty: 'EC', crv: 'P-256', x: j.x as string, y: j.y as string, d: j.d as string };
  if (typeof j.kid !== 'string' || j.kid !== (await calculateJwkThumbprint(jwk, 'sha256'))) {
    throw fail('"kid" is not the RFC 7638 thumbprint of the key');
  }
  let matches = false;
  try {
    const probe = Buffer.from('gatehouse key check');
    const signature = sign('sha256', probe, createPrivateKey({ key: jwk, format: 'jwk' }));
    const publicKey = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
      format: 'jwk',
    });
    matches = verify('sha256', probe, publicKey, signature);
  } catch {
    // Invalid point or scalar: reported below without the library's message.
  }
  if (!matches) throw fail('its private part does not match its public point');
  return { ...jwk, kid: j.kid, alg: 'ES256', use: 'sig' };
}

/**
 * Reads and checks a stored cookie key: base64url of exactly {@link COOKIE_KEY_BYTES} bytes.
 *
 * @throws {KeyMaterialError} naming the store kid and the problem (never the material).
 */
export function parseCookieMaterial(record: KeyRecord): string {
  if (!isBase64url(record.material, COOKIE_KEY_BYTES)) {
    throw new KeyMaterialError(
      record.kid,
      'cookie',
      `its material is not ${COOKIE_KEY_BYTES} bytes of base64url`,
    );
  }
  return record.material;
}
