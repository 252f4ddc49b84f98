/**
 * The authorization server's keys, persisted through {@link KeyStore}: ES256 signing keys for
 * tokens (published in the JWKS, RFC 7517 §5) and secrets for oidc-provider's signed cookies.
 * Created on first start, kept across restarts, rotated on request; a retired key stays in the
 * {@link KeySet} (and so in the JWKS) until its `expiresAt`, so what it signed keeps verifying.
 *
 * ## Store kids and JWK kids
 * A key's row in the store has a *slot* kid, `signing-<n>` / `cookie-<n>`, where `n` is its
 * generation (1 for the first key, previous newest + 1 for each new one). The signing JWK itself
 * carries `kid` = its RFC 7638 thumbprint, which is what tokens and the JWKS show.
 *
 * ## Several processes on one database
 * Two processes that create a key at the same moment (first start, or a rotation) both compute the
 * same next slot kid. `KeyStore.insert` accepts one and answers `false` to the other, which then
 * re-reads the store and uses the key that won. So every process ends with the same single active
 * key of each kind, without a lock. A rotation retires the old key before inserting the new one;
 * a process that starts in between sees no active key and creates the same next slot, which again
 * only one of them fills. A process that already holds a KeySet keeps it until it reloads: after a
 * rotation elsewhere it signs with a retired key, which still verifies until that key expires.
 */

import { invalidArgument } from '@gatehouse/core';
import type { JWK } from 'jose';
import { epochSeconds, type KeyRecord, type KeyStore, type KeyUse } from '../storage/contract.js';
import {
  generateCookieSecret,
  generateSigningJwk,
  KeyMaterialError,
  parseCookieMaterial,
  parseSigningMaterial,
} from './key-material.js';

/**
 * The keys handed to oidc-provider. Each list holds the active key first, then the retired keys
 * that have not expired yet, newest first.
 */
export interface KeySet {
  /** Private JWKs (ES256, `kid` = RFC 7638 thumbprint) for oidc-provider's `jwks` option. */
  readonly signing: { keys: JWK[] };
  /**
   * base64url secrets for oidc-provider's `cookies.keys` (it signs with the first, accepts all);
   * a new key comes second until `cookieKeyDelaySeconds` have passed (see {@link LoadKeysOptions}).
   */
  readonly cookieKeys: string[];
}

/** Options of {@link loadOrCreateKeys}. */
export interface LoadKeysOptions {
  /** The clock in epoch seconds. Default: the system clock. */
  now?: () => number;
  /**
   * Seconds after its creation before a new cookie key signs cookies. Until then it is only
   * accepted, and the newest older live key keeps signing, so that every process that reloads its
   * keys at least this often knows the new key before any cookie signed with it reaches it (a
   * sign-in that starts on one instance and continues on another). Pass the key reload interval.
   * Default 0: a new key signs at once. Signing keys need no such delay: a token signed with an
   * unknown key makes its verifier fetch the keys again.
   */
  cookieKeyDelaySeconds?: number;
}

/** Options of {@link rotateSigningKey} and {@link rotateCookieKey}. */
export interface RotateKeyOptions extends LoadKeysOptions {
  /**
   * How long the previous key keeps verifying (signing keys) or being accepted (cookie keys), in
   * seconds. For signing keys use at least the longest access-token TTL (and ID-token TTL); for
   * cookie keys the session lifetime.
   */
  retainSeconds: number;
}

const SLOT_KID = /^(signing|cookie)-([1-9][0-9]{0,14})$/;
const ATTEMPTS = 8;

function slotKid(use: KeyUse, generation: number): string {
  return `${use}-${generation}`;
}

function generationOf(record: KeyRecord, use: KeyUse): number {
  const match = SLOT_KID.exec(record.kid);
  if (!match || match[1] !== use || record.use !== use) {
    throw new KeyMaterialError(record.kid, use, `its kid is not of the form "${use}-<generation>"`);
  }
  return Number(match[2]);
}

function clockFrom(options: LoadKeysOptions | undefined): () => number {
  const now = options?.now;
  if (now !== undefined && typeof now !== 'function') {
    throw invalidArgument('"now" must be a function returning epoch seconds', 'ERR_INVALID_ARG_TYPE');
  }
  return () => {
    const t = (now ?? epochSeconds)();
    if (!Number.isFinite(t))
      throw invalidArgument('"now" returned a non-finite number', 'ERR_INVALID_ARG_VALUE');
    return Math.floor(t);
  };
}

/** `value` when it is a whole number of seconds >= 0; else a `TypeError` naming option `name`. */
function wholeSeconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`"${name}" must be a whole number of seconds >= 0`, 'ERR_INVALID_ARG_VALUE');
  }
  return value;
}

function assertStore(store: unknown): asserts store is KeyStore {
  const s = store as Partial<KeyStore> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.list !== 'function' ||
    typeof s.insert !== 'function' ||
    typeof s.retire !== 'function'
  ) {
    throw invalidArgument('"store" must be a KeyStore (storage.keys)', 'ERR_INVALID_ARG_TYPE');
  }
}

/** The store's live keys of one use, ordered: active first, then by generation, newest first. */
async function liveKeys(store: KeyStore, use: KeyUse, now: number): Promise<KeyRecord[]> {
  const keys = (await store.list(use)).filter((key) => key.expiresAt === null || key.expiresAt > now);
  const generation = new Map(keys.map((key) => [key.kid, generationOf(key, use)]));
  return keys.sort(
    (a, b) =>
      Number(a.retiredAt !== null) - Number(b.retiredAt !== null) ||
      (generation.get(b.kid) ?? 0) - (generation.get(a.kid) ?? 0),
  );
}

async function newRecord(use: KeyUse, generation: number, now: number): Promise<KeyRecord> {
  const material = use === 'signing' ? JSON.stringify(await generateSigningJwk()) : generateCookieSecret();
  return { kid: slotKid(use, generation), use, material, createdAt: now, retiredAt: null, expiresAt: null };
}

/**
 * Inserts generation `newest live + 1 + skip`; `false` when the slot is taken (another process got
 * there first, or an expired row that the store has not purged yet still holds the kid).
 */
async function insertNext(
  store: KeyStore,
  use: KeyUse,
  keys: KeyRecord[],
  now: number,
  skip = 0,
): Promise<boolean> {
  const newest = keys.reduce((max, key) => Math.max(max, generationOf(key, use)), 0);
  return store.insert(await newRecord(use, newest + 1 + skip, now));
}

/** Reads the keys of one use, creating the first (or a missing active) key; checks all material. */
async function ensureKeys(store: KeyStore, use: KeyUse, now: number): Promise<KeyRecord[]> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const keys = await liveKeys(store, use, now);
    if (keys[0] && keys[0].retiredAt === null) return keys;
    // No active key: first start, or a rotation elsewhere is between its retire and its insert.
    // Either way the next slot is the same for everyone; a lost insert means re-read and adopt.
    // Still nothing active after a lost insert: the slot is held by an expired, unpurged row
    // (invisible to `list`), so the next attempt tries the slot after it.
    await insertNext(store, use, keys, now, attempt);
  }
  const error = new Error(
    `the key store holds no active ${use} key after ${ATTEMPTS} attempts to create one`,
  );
  throw Object.assign(error, { code: 'ERR_KEY_STORE_INCONSISTENT' as const });
}

/**
 * The cookie keys in the order oidc-provider uses them (it signs with the first): as stored, except
 * that an active key younger than `delaySeconds` goes after the newest older live key, if any.
 */
function inSigningOrder(cookie: KeyRecord[], now: number, delaySeconds: number): KeyRecord[] {
  const [active, previous, ...rest] = cookie;
  if (active === undefined || previous === undefined || now - active.createdAt >= delaySeconds) return cookie;
  return [previous, active, ...rest];
}

async function parseAll(signing: KeyRecord[], cookie: KeyRecord[]): Promise<KeySet> {
  const jwks: JWK[] = [];
  for (const record of signing) jwks.push(await parseSigningMaterial(record));
  return { signing: { keys: jwks }, cookieKeys: cookie.map(parseCookieMaterial) };
}

async function readKeySet(store: KeyStore, now: number, cookieKeyDelaySeconds = 0): Promise<KeySet> {
  // Check what is stored before creating anything: a corrupted row is reported, not worked around.
  const storedSigning = await liveKeys(store, 'signing', now);
  const storedCookie = await liveKeys(store, 'cookie', now);
  const parsed = await parseAll(storedSigning, inSigningOrder(storedCookie, now, cookieKeyDelaySeconds));
  // The usual case (every start after the first, every reload): both kinds already have an active
  // key (sorted first), so nothing is created and the rows just read and checked are the key set.
  if (storedSigning[0]?.retiredAt === null && storedCookie[0]?.retiredAt === null) return parsed;
  const [signing, cookie] = await Promise.all([
    ensureKeys(store, 'signing', now),
    ensureKeys(store, 'cookie', now),
  ]);
  return parseAll(signing, inSigningOrder(cookie, now, cookieKeyDelaySeconds));
}

/**
 * Loads the signing and cookie keys, generating and persisting an ES256 signing key and a 32-byte
 * cookie key on first start (or when a kind has no active key). Every stored key is checked; a
 * corrupted one throws {@link KeyMaterialError} naming its kid instead of being replaced.
 *
 * Does NOT delete expired keys (that is `Storage.purgeExpired`) and does NOT rotate anything.
 *
 * @example
 * const keys = await loadOrCreateKeys(storage.keys);
 * new Provider(issuer, { jwks: keys.signing, cookies: { keys: keys.cookieKeys } });
 */
export async function loadOrCreateKeys(store: KeyStore, options?: LoadKeysOptions): Promise<KeySet> {
  assertStore(store);
  const delay = wholeSeconds(options?.cookieKeyDelaySeconds ?? 0, 'cookieKeyDelaySeconds');
  return readKeySet(store, clockFrom(options)(), delay);
}

async function rotate(store: KeyStore, use: KeyUse, options: RotateKeyOptions): Promise<KeySet> {
  assertStore(store);
  const clock = clockFrom(options);
  const retainSeconds = wholeSeconds(options?.retainSeconds, 'retainSeconds');
  const now = clock();
  // Check all material before changing anything: a corrupted store is reported, not rotated away.
  const signing = await liveKeys(store, 'signing', now);
  const cookie = await liveKeys(store, 'cookie', now);
  await parseAll(signing, cookie);
  const keys = use === 'signing' ? signing : cookie;
  for (const key of keys) {
    if (key.retiredAt === null) await store.retire(key.kid, now, now + retainSeconds);
  }
  // `false`: a concurrent rotation (or a starting process) filled the slot; its key is used.
  await insertNext(store, use, keys, now);
  return readKeySet(store, now);
}

/**
 * Makes a new signing key active; the previous active key is retired and stays in the KeySet (so
 * in the JWKS, still verifying) until `now + retainSeconds`. RFC 7517 §5 key sets; the rotation
 * policy is ours. Processes holding an older KeySet keep signing with the old key until they
 * reload; choose `retainSeconds` with that in mind.
 *
 * @example
 * await rotateSigningKey(storage.keys, { retainSeconds: 3600 });
 */
export function rotateSigningKey(store: KeyStore, options: RotateKeyOptions): Promise<KeySet> {
  return rotate(store, 'signing', options);
}

/**
 * Makes a new cookie key active; the previous one is still accepted for cookies signed before
 * until `now + retainSeconds` (use at least the session lifetime, or sessions end early).
 *
 * @example
 * await rotateCookieKey(storage.keys, { retainSeconds: 14 * 86400 });
 */
export function rotateCookieKey(store: KeyStore, options: RotateKeyOptions): Promise<KeySet> {
  return rotate(store, 'cookie', options);
}

/**
 * The public JWK Set (RFC 7517 §5) of a KeySet's signing keys: `kty`, `crv`, `x`, `y`, `kid`,
 * `alg`, `use` only, never `d`. oidc-provider publishes the same set at its `jwks_uri`; this is for
 * tests and tools that need it without a running provider.
 */
export function toPublicJwks(keys: KeySet): { keys: JWK[] } {
  return {
    keys: keys.signing.keys.map(({ kty, crv, x, y, kid, alg, use }) => ({ kty, crv, x, y, kid, alg, use })),
  };
}
