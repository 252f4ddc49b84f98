/**
 * CSRF tokens for the interaction forms (OWASP CSRF Prevention Cheat Sheet, "HMAC based token
 * pattern"; RFC 9700 §4.4.1.8 for the consent page): the token is
 * `base64url(HMAC-SHA256(secret, "gatehouse-interaction-csrf\0" + uid))`, bound to one interaction.
 *
 * The uid checked is the one oidc-provider resolves from the interaction cookie, not the one in the
 * URL, so a page of another interaction (for example the attacker's own) yields a token that does not
 * verify for the victim's interaction. The secret is 32 random bytes kept in storage settings so that
 * every instance sharing the storage accepts the others' tokens.
 *
 * It does NOT check the Origin header or the interaction's state: routes.ts does the latter.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SettingStore } from '../storage/contract.js';

/** The settings name under which the HMAC secret is kept (base64url, 32 bytes). */
export const CSRF_SECRET_SETTING = 'interactions.csrf-secret';

/** The name of the hidden form field carrying the token. */
export const CSRF_FIELD = 'csrf';

/** Issues and checks interaction CSRF tokens; see the module comment. */
export interface CsrfTokens {
  /** The token for the interaction `uid`. */
  issue(uid: string): Promise<string>;
  /** True when `token` is the token of `uid`; compared in constant time. `token` comes from a form. */
  verify(uid: string, token: unknown): Promise<boolean>;
}

function mac(secret: Buffer, uid: string): Buffer {
  return createHmac('sha256', secret).update(`gatehouse-interaction-csrf\0${uid}`).digest();
}

/** Creates the token service over `settings`; the secret is created on first use. */
export function createCsrfTokens(settings: SettingStore): CsrfTokens {
  let cached: Promise<Buffer> | undefined;

  async function loadSecret(): Promise<Buffer> {
    const stored = await settings.get(CSRF_SECRET_SETTING);
    if (stored !== undefined) return Buffer.from(stored, 'base64url');
    await settings.set(CSRF_SECRET_SETTING, randomBytes(32).toString('base64url'));
    // Read back: if another instance wrote at the same moment, everyone converges on the stored value.
    const written = await settings.get(CSRF_SECRET_SETTING);
    if (written === undefined) throw new Error('the CSRF secret could not be stored');
    return Buffer.from(written, 'base64url');
  }

  function secret(refresh = false): Promise<Buffer> {
    if (cached === undefined || refresh) {
      cached = loadSecret();
      cached.catch(() => {
        cached = undefined;
      });
    }
    return cached;
  }

  async function matches(uid: string, given: Buffer, refresh: boolean): Promise<boolean> {
    const expected = mac(await secret(refresh), uid);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  return {
    async issue(uid) {
      return mac(await secret(), uid).toString('base64url');
    },
    async verify(uid, token) {
      if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
      const given = Buffer.from(token, 'base64url');
      if (given.toString('base64url') !== token) return false; // non-canonical padding bits
      // A second try with a fresh secret covers an instance that raced another one on first start.
      return (await matches(uid, given, false)) || (await matches(uid, given, true));
    },
  };
}
