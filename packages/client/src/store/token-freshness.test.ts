import { describe, expect, it } from 'vitest';
import { isTokenFresh, renewalMarginSeconds } from './token-freshness.js';
import type { StoredTokens } from './types.js';

const NOW_MS = 1_800_000_000_000;
const now = NOW_MS / 1000;

function tokens(fields: { expires_at?: number; expires_in?: number }): StoredTokens {
  return {
    access_token: 'a',
    token_type: 'Bearer',
    resource: 'https://mcp.example/mcp',
    issuer: 'https://as.example',
    client_id: 'c',
    ...fields,
  };
}

describe('isTokenFresh', () => {
  it('a token without expiry is always fresh', () => {
    expect(isTokenFresh(tokens({}), 60, NOW_MS)).toBe(true);
  });

  it('a long-lived token is renewed within the skew of its expiry', () => {
    const hour = { expires_in: 3600 };
    expect(renewalMarginSeconds(tokens(hour), 60)).toBe(60);
    expect(isTokenFresh(tokens({ ...hour, expires_at: now + 61 }), 60, NOW_MS)).toBe(true);
    expect(isTokenFresh(tokens({ ...hour, expires_at: now + 59 }), 60, NOW_MS)).toBe(false);
  });

  it('a token shorter-lived than the skew is fresh for the first half of its lifetime, not never', () => {
    const short = { expires_in: 20 };
    expect(renewalMarginSeconds(tokens(short), 60)).toBe(10);
    // Just issued: fresh (with the skew alone, 20 s left < 60 s would renew on every call).
    expect(isTokenFresh(tokens({ ...short, expires_at: now + 20 }), 60, NOW_MS)).toBe(true);
    expect(isTokenFresh(tokens({ ...short, expires_at: now + 11 }), 60, NOW_MS)).toBe(true);
    expect(isTokenFresh(tokens({ ...short, expires_at: now + 9 }), 60, NOW_MS)).toBe(false);
  });

  it('without expires_in (an entry stored before it was kept) the skew applies as is', () => {
    expect(renewalMarginSeconds(tokens({}), 60)).toBe(60);
    expect(isTokenFresh(tokens({ expires_at: now + 20 }), 60, NOW_MS)).toBe(false);
  });

  it('a skew of 0 renews only expired tokens', () => {
    expect(isTokenFresh(tokens({ expires_in: 20, expires_at: now + 1 }), 0, NOW_MS)).toBe(true);
    expect(isTokenFresh(tokens({ expires_in: 20, expires_at: now }), 0, NOW_MS)).toBe(false);
  });
});
