import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import { CSRF_SECRET_SETTING, createCsrfTokens } from './csrf.js';

describe('createCsrfTokens', () => {
  it('issues a token that verifies for its interaction only', async () => {
    const csrf = createCsrfTokens(createMemoryStorage().settings);
    const token = await csrf.issue('uid-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await csrf.verify('uid-1', token)).toBe(true);
    expect(await csrf.verify('uid-2', token)).toBe(false);
  });

  it('refuses missing, malformed, truncated and altered tokens', async () => {
    const csrf = createCsrfTokens(createMemoryStorage().settings);
    const token = await csrf.issue('uid-1');
    const altered = `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}`;
    for (const bad of [undefined, null, 42, '', 'x', token.slice(1), `${token}=`, altered, [token]]) {
      expect(await csrf.verify('uid-1', bad)).toBe(false);
    }
  });

  it('refuses a non-canonical encoding of the right token', async () => {
    const csrf = createCsrfTokens(createMemoryStorage().settings);
    const token = await csrf.issue('uid-1');
    // The last character carries two padding bits: flipping them decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1) as string);
    const variant = `${token.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(token, 'base64url'))).toBe(true);
    expect(await csrf.verify('uid-1', variant)).toBe(false);
  });

  it('shares its secret through storage: another instance accepts the token', async () => {
    const storage = createMemoryStorage();
    const token = await createCsrfTokens(storage.settings).issue('uid-1');
    expect(await storage.settings.get(CSRF_SECRET_SETTING)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await createCsrfTokens(storage.settings).verify('uid-1', token)).toBe(true);
  });

  it('does not accept a token made with another secret', async () => {
    const token = await createCsrfTokens(createMemoryStorage().settings).issue('uid-1');
    expect(await createCsrfTokens(createMemoryStorage().settings).verify('uid-1', token)).toBe(false);
  });
});
