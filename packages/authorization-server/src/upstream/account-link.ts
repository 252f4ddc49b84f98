/**
 * Maps an upstream identity (issuer, subject) to a local account (OpenID Connect Core 1.0 §5.7:
 * "the sub (subject) and iss (issuer) Claims, used together, are the only Claims that a Client can
 * rely upon as a stable identifier for the End-User"). The first sign-in creates the account.
 *
 * Usernames and emails from the upstream are display hints only: an upstream account never takes
 * over a local account with the same username or email; it gets a fresh, unique username instead.
 */
import { randomBytes } from 'node:crypto';
import { AccountConflict, type AccountRecord, type AccountStore, epochSeconds } from '../storage/contract.js';
import type { UpstreamIdentity } from './callback.js';

/** Longest username, in code points (the account service's limit). */
const USERNAME_MAX = 64;
/** Username candidates tried with a counter suffix before a random one. */
const NUMBERED_TRIES = 20;
// Control, format, surrogate, private-use and line/paragraph separators: refused by the account rules.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/gu;

function truncate(value: string, max: number): string {
  return [...value].slice(0, max).join('');
}

/** A valid username from an upstream hint, or undefined when nothing usable remains. */
export function usernameFromHint(hint: string | undefined): string | undefined {
  if (hint === undefined) return undefined;
  const cleaned = hint.normalize('NFC').replace(FORBIDDEN, '').replace(/\s+/g, ' ').trim();
  const cut = truncate(cleaned, USERNAME_MAX).trim();
  return cut === '' ? undefined : cut;
}

function withSuffix(base: string, suffix: string): string {
  return `${truncate(base, USERNAME_MAX - [...suffix].length).trim()}${suffix}`;
}

function* candidates(base: string): Generator<string> {
  yield base;
  for (let n = 2; n <= NUMBERED_TRIES; n++) yield withSuffix(base, `-${n}`);
  for (;;) yield withSuffix(base, `-${randomBytes(4).toString('hex')}`);
}

/**
 * Resolves with the local account linked to `identity`, creating it on first sign-in: username from
 * `preferred_username`, else `email`, else `user`, made unique with `-2`, `-3`… (then a random
 * suffix); an empty password hash (no local password: the account signs in upstream only).
 *
 * Safe against two concurrent first sign-ins of the same identity: the store refuses the second
 * upstream link ({@link AccountConflict}) and the existing account is returned. It does NOT update
 * the username when the upstream's changes, and does NOT check that the account is allowed to
 * sign in (there is no disabled state yet).
 */
export async function linkUpstreamAccount(
  store: AccountStore,
  identity: UpstreamIdentity,
  now: () => number = epochSeconds,
): Promise<AccountRecord> {
  const { issuer, subject } = identity;
  const existing = await store.findByUpstream(issuer, subject);
  if (existing !== undefined) return existing;
  const base = usernameFromHint(identity.preferredUsername) ?? usernameFromHint(identity.email) ?? 'user';
  let tries = 0;
  for (const username of candidates(base)) {
    if (++tries > NUMBERED_TRIES + 20) break;
    if ((await store.findByUsername(username)) !== undefined) continue;
    const t = Math.floor(now());
    const account: AccountRecord = {
      id: randomBytes(16).toString('base64url'),
      username,
      passwordHash: '',
      createdAt: t,
      updatedAt: t,
      failedAttempts: 0,
      lockedUntil: null,
      upstream: { issuer, subject },
    };
    try {
      await store.create(account);
      return account;
    } catch (error) {
      if (!(error instanceof AccountConflict)) throw error;
      const raced = await store.findByUpstream(issuer, subject);
      if (raced !== undefined) return raced;
      // The username was taken meanwhile: try the next candidate.
    }
  }
  throw new AccountConflict('no free username could be found for the upstream account');
}
