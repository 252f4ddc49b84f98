import { describe, expect, it } from 'vitest';
import { codeChallengeS256, generateCodeVerifier, generatePkce } from './pkce.js';

describe('PKCE S256 (RFC 7636)', () => {
  it('matches the RFC 7636 Appendix B example', () => {
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const verifier = Buffer.from(octets).toString('base64url');
    expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(codeChallengeS256(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('generates 43 unreserved characters, different each time', () => {
    const a = generateCodeVerifier();
    const b = generateCodeVerifier();
    expect(a).toMatch(/^[A-Za-z0-9\-._~]{43}$/);
    expect(a).not.toBe(b);
    const pair = generatePkce();
    expect(pair.codeChallenge).toBe(codeChallengeS256(pair.codeVerifier));
    expect(pair.codeChallengeMethod).toBe('S256');
  });

  it('refuses verifiers outside RFC 7636 §4.1 without echoing them', () => {
    expect(() => codeChallengeS256('short')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => codeChallengeS256('a'.repeat(129))).toThrow(TypeError);
    expect(() => codeChallengeS256(`${'a'.repeat(42)}+`)).toThrow(/43 to 128/);
    expect(() => codeChallengeS256(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(codeChallengeS256('a'.repeat(128))).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
