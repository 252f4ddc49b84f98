import { OAuthError, ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { processAuthorizationCallback } from './callback.js';
import { AuthorizationDenied, AuthorizationFailed } from './errors.js';

const issuer = 'https://as.example.com/tenant';
const state = 'state-abc';

function callback(params: Record<string, string> | [string, string][]): URL {
  const url = new URL('http://127.0.0.1:4321/callback');
  for (const [k, v] of Array.isArray(params) ? params : Object.entries(params)) url.searchParams.append(k, v);
  return url;
}

const expectations = (issParameterSupported?: boolean) => ({
  expectedState: state,
  expectedIssuer: issuer,
  issParameterSupported,
});

describe('processAuthorizationCallback: RFC 9207 iss table (MCP 2026-07-28 C15)', () => {
  it('supported + iss present and equal → the code', () => {
    expect(
      processAuthorizationCallback(callback({ code: 'c1', state, iss: issuer }), expectations(true)),
    ).toBe('c1');
  });

  it('supported + iss absent → rejected', () => {
    expect(() => processAuthorizationCallback(callback({ code: 'c1', state }), expectations(true))).toThrow(
      expect.objectContaining({ code: 'ERR_MISSING_ATTRIBUTE', attribute: 'iss' }),
    );
  });

  it('not advertised + iss present → still compared', () => {
    expect(processAuthorizationCallback(callback({ code: 'c1', state, iss: issuer }), expectations())).toBe(
      'c1',
    );
    expect(() =>
      processAuthorizationCallback(
        callback({ code: 'c1', state, iss: 'https://evil.example' }),
        expectations(false),
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_UNEXPECTED_VALUE', attribute: 'iss' }));
  });

  it('not advertised + iss absent → accepted', () => {
    expect(processAuthorizationCallback(callback({ code: 'c1', state }), expectations(false))).toBe('c1');
    expect(processAuthorizationCallback(callback({ code: 'c1', state }), expectations())).toBe('c1');
  });

  it('compares without normalization (trailing slash, case, default port)', () => {
    for (const iss of [`${issuer}/`, issuer.toUpperCase(), 'https://as.example.com:443/tenant']) {
      expect(() =>
        processAuthorizationCallback(callback({ code: 'c1', state, iss }), expectations(true)),
      ).toThrow(ProtocolError);
    }
  });

  it('on an iss mismatch never surfaces the error fields, even with a wrong state', () => {
    const url = callback({
      error: 'access_denied',
      error_description: 'click here evil',
      iss: 'https://evil.example',
    });
    let caught: unknown;
    try {
      processAuthorizationCallback(url, expectations(true));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect(caught).not.toBeInstanceOf(OAuthError);
    expect((caught as Error).message).not.toMatch(/access_denied|click here/);
  });
});

describe('processAuthorizationCallback: state, errors, code', () => {
  it('rejects a missing or different state, without echoing it', () => {
    expect(() => processAuthorizationCallback(callback({ code: 'c1' }), expectations())).toThrow(
      expect.objectContaining({ attribute: 'state', code: 'ERR_MISSING_ATTRIBUTE' }),
    );
    let caught: unknown;
    try {
      processAuthorizationCallback(callback({ code: 'c1', state: 'forged-state' }), expectations());
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ attribute: 'state', code: 'ERR_UNEXPECTED_VALUE' });
    expect((caught as Error).message).not.toMatch(/forged-state|c1/);
  });

  it('checks state before acting on an error', () => {
    expect(() =>
      processAuthorizationCallback(callback({ error: 'access_denied', state: 'other' }), expectations()),
    ).toThrow(expect.objectContaining({ attribute: 'state' }));
  });

  it('access_denied → AuthorizationDenied with the server code', () => {
    let caught: unknown;
    try {
      processAuthorizationCallback(
        callback({ error: 'access_denied', error_description: 'The user said no', state, iss: issuer }),
        expectations(true),
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthorizationDenied);
    expect(caught).toBeInstanceOf(AuthorizationFailed);
    expect(caught).toBeInstanceOf(OAuthError);
    expect(caught).toMatchObject({ error: 'access_denied', error_description: 'The user said no' });
  });

  it('other errors → AuthorizationFailed; unsafe descriptions dropped', () => {
    let caught: unknown;
    try {
      processAuthorizationCallback(
        callback({ error: 'invalid_scope', error_description: 'bad "quote"\n', state }),
        expectations(),
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthorizationFailed);
    expect(caught).not.toBeInstanceOf(AuthorizationDenied);
    expect(caught).toMatchObject({
      error: 'invalid_scope',
      error_description: undefined,
      code: 'ERR_OAUTH_INVALID_SCOPE',
    });
  });

  it('rejects repeated parameters and a response without code', () => {
    expect(() =>
      processAuthorizationCallback(
        callback([
          ['code', 'a'],
          ['code', 'b'],
          ['state', state],
        ]),
        expectations(),
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RESPONSE', attribute: 'code' }));
    expect(() => processAuthorizationCallback(callback({ state }), expectations())).toThrow(
      expect.objectContaining({ code: 'ERR_MISSING_ATTRIBUTE', attribute: 'code' }),
    );
  });

  it('misuse → TypeError', () => {
    expect(() =>
      processAuthorizationCallback(callback({ state }), { expectedState: '', expectedIssuer: issuer }),
    ).toThrow(TypeError);
    expect(() =>
      processAuthorizationCallback('http://x/' as unknown as URL, {
        expectedState: state,
        expectedIssuer: issuer,
      }),
    ).toThrow(TypeError);
  });
});
