/**
 * Server-side state of an upstream sign-in, kept in {@link SettingStore} so that every instance
 * sharing the storage can finish a sign-in another one started:
 *
 * - the pending request (RFC 6749 §10.12 `state`, OpenID Connect Core §3.1.2.1 `nonce`, RFC 7636
 *   `code_verifier`) under `upstream.pending.<SHA-256 of state>`, bound to the interaction uid;
 * - the result of a verified callback (the local account id) under `upstream.result.<uid>`.
 *
 * Both are single-use: taking one deletes it, and only the caller whose delete succeeded gets it
 * (two racing callbacks with the same `state` cannot both proceed). Nothing here ever goes into a
 * URL: only `state` does, and it is the lookup key, never the secret (the verifier and nonce).
 */
import { createHash } from 'node:crypto';
import type { SettingStore } from '../storage/contract.js';

/** A pending upstream authorization request. */
export interface PendingSignIn {
  /** The interaction (at this server) the sign-in belongs to. */
  readonly uid: string;
  /** RFC 7636 `code_verifier`, sent only to the upstream's token endpoint. */
  readonly codeVerifier: string;
  /** The `nonce` the ID token must carry (OpenID Connect Core §3.1.3.7 item 11). */
  readonly nonce: string;
}

/** How long a pending request may wait for its callback (seconds), at most. */
export const PENDING_SECONDS = 600;
/** How long a verified callback waits for the browser to come back to the interaction (seconds). */
export const RESULT_SECONDS = 300;

const STATE = /^[A-Za-z0-9_-]{22,128}$/;
const UID = /^[A-Za-z0-9_-]{1,64}$/;

function pendingName(state: string): string {
  return `upstream.pending.${createHash('sha256').update(state).digest('base64url')}`;
}

function resultName(uid: string): string {
  return `upstream.result.${uid}`;
}

/** Reads a setting and deletes it; undefined when missing or when another caller deleted it first. */
async function take(settings: SettingStore, name: string): Promise<string | undefined> {
  const value = await settings.get(name);
  if (value === undefined) return undefined;
  return (await settings.delete(name)) ? value : undefined;
}

/** Stores a pending request under its `state` until `expiresAt` (epoch seconds). */
export async function savePending(
  settings: SettingStore,
  state: string,
  pending: PendingSignIn,
  expiresAt: number,
): Promise<void> {
  await settings.set(pendingName(state), JSON.stringify(pending), expiresAt);
}

function parsePending(text: string): PendingSignIn | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { uid, codeVerifier, nonce } = value as Record<string, unknown>;
  if (typeof uid !== 'string' || !UID.test(uid)) return undefined;
  if (typeof codeVerifier !== 'string' || typeof nonce !== 'string') return undefined;
  return { uid, codeVerifier, nonce };
}

/**
 * Takes (reads and deletes) the pending request of `state`, a value from the callback URL.
 * Undefined for a malformed, unknown, expired or already used `state`.
 */
export async function takePending(
  settings: SettingStore,
  state: unknown,
): Promise<PendingSignIn | undefined> {
  if (typeof state !== 'string' || !STATE.test(state)) return undefined;
  const text = await take(settings, pendingName(state));
  return text === undefined ? undefined : parsePending(text);
}

/** Records that the interaction `uid` signed in upstream as the local account `accountId`. */
export async function saveResult(
  settings: SettingStore,
  uid: string,
  accountId: string,
  expiresAt: number,
): Promise<void> {
  await settings.set(resultName(uid), accountId, expiresAt);
}

/** Takes the result of the interaction `uid`: the local account id, or undefined. */
export async function takeResult(settings: SettingStore, uid: string): Promise<string | undefined> {
  if (!UID.test(uid)) return undefined;
  const accountId = await take(settings, resultName(uid));
  return accountId === '' ? undefined : accountId;
}
