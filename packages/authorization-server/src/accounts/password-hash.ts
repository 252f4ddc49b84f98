/**
 * Password hashing with scrypt (RFC 7914), the memory-hard KDF built into Node.js.
 *
 * Encoded form (self-describing, so parameters can be raised later and old hashes still verify):
 * `scrypt$<N>$<r>$<p>$<salt>$<hash>` with `salt` (16 bytes) and `hash` (32 bytes) in base64url.
 *
 * Passwords are Unicode-normalised with NFKC before hashing (NIST SP 800-63B §5.1.1.2), so the
 * same password typed on two keyboards that produce different code point sequences still matches.
 */

import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from '@gatehouse/core';

/** scrypt cost parameters (RFC 7914 §2): CPU/memory cost `N` (a power of two), block size `r`, parallelism `p`. */
export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * The default cost: N = 2^16, r = 8, p = 1. Memory per hash is 128 · N · r = 64 MiB (OWASP's
 * Password Storage Cheat Sheet lists N=2^16, r=8, p=2 or N=2^17, r=8, p=1 as its equivalent
 * minimums; this sits between them at p=1). About 0.1–0.3 s of CPU per hash on a current server.
 * Each concurrent sign-in holds that memory while it hashes.
 */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = Object.freeze({ N: 2 ** 16, r: 8, p: 1 });

/** Bytes of random salt per hash. */
export const SALT_BYTES = 16;
/** Bytes of derived key stored. */
export const HASH_BYTES = 32;

/** Upper bounds accepted for parameters, in options and in stored hashes (bounds the work one hash can demand). */
const MAX = { N: 2 ** 22, r: 32, p: 16, memory: 1024 * 1024 * 1024 } as const;

/** The memory scrypt needs for these parameters, in bytes (OpenSSL's own accounting, plus 1 MiB slack). */
function maxmemFor({ N, r, p }: ScryptParameters): number {
  return 128 * r * (N + p + 2) + 1024 * 1024;
}

/** Checks scrypt parameters; `name` prefixes the error message. */
export function assertScryptParameters(value: unknown, name = 'scrypt'): asserts value is ScryptParameters {
  const v = value as Partial<ScryptParameters> | null;
  if (typeof v !== 'object' || v === null)
    throw invalidArgument(`"${name}" must be an object`, 'ERR_INVALID_ARG_TYPE');
  const { N, r, p } = v;
  if (typeof N !== 'number' || !Number.isSafeInteger(N) || N < 2 || N > MAX.N || (N & (N - 1)) !== 0) {
    throw invalidArgument(`"${name}.N" must be a power of two between 2 and 2^22`);
  }
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1 || r > MAX.r) {
    throw invalidArgument(`"${name}.r" must be a whole number between 1 and ${MAX.r}`);
  }
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1 || p > MAX.p) {
    throw invalidArgument(`"${name}.p" must be a whole number between 1 and ${MAX.p}`);
  }
  if (maxmemFor({ N, r, p }) > MAX.memory)
    throw invalidArgument(`"${name}" parameters need more than 1 GiB of memory`);
}

function derive(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: maxmemFor(params) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, HASH_BYTES, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function assertPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string')
    throw invalidArgument('"password" must be a string', 'ERR_INVALID_ARG_TYPE');
}

/**
 * Hashes a password with scrypt and a fresh random salt, returning the encoded form
 * `scrypt$N$r$p$salt$hash`. Does NOT check password rules (length etc.): that is the account service's.
 *
 * @example
 * const encoded = await hashPassword('correct horse battery staple');
 */
export async function hashPassword(
  password: string,
  params: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS,
): Promise<string> {
  assertPassword(password);
  assertScryptParameters(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** A parsed encoded hash. */
export interface ParsedPasswordHash extends ScryptParameters {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const ENCODED =
  /^scrypt\$([1-9][0-9]{0,7})\$([1-9][0-9]{0,2})\$([1-9][0-9]{0,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{16,})$/;

/**
 * Parses `scrypt$N$r$p$salt$hash`; `undefined` for anything else (including out-of-bounds
 * parameters, so a tampered row cannot make one verification take minutes or gigabytes).
 */
export function parsePasswordHash(encoded: unknown): ParsedPasswordHash | undefined {
  if (typeof encoded !== 'string') return undefined;
  const match = ENCODED.exec(encoded);
  if (!match) return undefined;
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  try {
    assertScryptParameters(params);
  } catch {
    return undefined;
  }
  const salt = Buffer.from(match[4] ?? '', 'base64url');
  const hash = Buffer.from(match[5] ?? '', 'base64url');
  if (salt.length < SALT_BYTES || hash.length < 16) return undefined;
  return { ...params, salt, hash };
}

/**
 * Checks a password against an encoded hash, with the parameters stored in the hash, comparing
 * the derived keys with `crypto.timingSafeEqual`.
 *
 * @throws a `TypeError` (`ERR_INVALID_ARG_VALUE`) when `encoded` is not a valid scrypt hash (the
 * message never contains the hash or the password).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  assertPassword(password);
  const parsed = parsePasswordHash(encoded);
  if (!parsed) throw invalidArgument('"encoded" is not a valid scrypt password hash');
  const candidate = await derive(password, parsed.salt, parsed);
  return candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
}

/**
 * True when the hash should be recomputed at the next successful sign-in: it is not a valid scrypt
 * hash, or any of its parameters is below `params` (default {@link DEFAULT_SCRYPT_PARAMETERS}), or
 * its salt or hash is shorter than this version writes.
 */
export function needsRehash(encoded: string, params: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS): boolean {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return true;
  return (
    parsed.N < params.N ||
    parsed.r < params.r ||
    parsed.p < params.p ||
    parsed.salt.length < SALT_BYTES ||
    parsed.hash.length < HASH_BYTES
  );
}
