import { describe, expect, it } from 'vitest';
import {
  InsufficientScope,
  InvalidRequest,
  InvalidTarget,
  InvalidToken,
  invalidArgument,
  OAuthError,
  ProtocolError,
  TemporarilyUnavailable,
} from './errors.js';

describe('errors', () => {
  it('invalidArgument is a TypeError with a stable code', () => {
    const error = invalidArgument('"audience" is required', 'ERR_MISSING_OPTION');
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_MISSING_OPTION');
    expect(invalidArgument('x').code).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('ProtocolError carries attribute, expected and actual', () => {
    const error = new ProtocolError('ERR_UNEXPECTED_VALUE', 'issuer mismatch', {
      attribute: 'issuer',
      expected: 'https://a',
      actual: 'https://b',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'ERR_UNEXPECTED_VALUE', attribute: 'issuer', expected: 'https://a' });
    expect(new Error('x')).not.toBeInstanceOf(ProtocolError);
  });

  it('OAuth errors map to their status and wire code', () => {
    expect(new InvalidRequest()).toMatchObject({ error: 'invalid_request', status: 400 });
    expect(new InvalidToken()).toMatchObject({ error: 'invalid_token', status: 401, tokenPresent: true });
    expect(InvalidToken.missing()).toMatchObject({ status: 401, tokenPresent: false });
    expect(new InsufficientScope({ scope: ['a', 'b'] })).toMatchObject({ status: 403, scope: ['a', 'b'] });
    expect(new InvalidTarget()).toMatchObject({ error: 'invalid_target', status: 400 });
    expect(new TemporarilyUnavailable()).toMatchObject({
      status: 503,
      code: 'ERR_OAUTH_TEMPORARILY_UNAVAILABLE',
    });
  });

  it('instanceof distinguishes subclasses and matches across copies through the brand', () => {
    const token = new InvalidToken({ description: 'token expired' });
    expect(token).toBeInstanceOf(OAuthError);
    expect(token).toBeInstanceOf(InvalidToken);
    expect(token).not.toBeInstanceOf(InvalidRequest);
    // An object from "another copy" of the package: same brand symbol, different prototype.
    const foreign = Object.defineProperty({ error: 'invalid_token' }, Symbol.for('gatehouse.OAuthError'), {
      value: true,
    });
    expect(foreign).toBeInstanceOf(OAuthError);
    expect(foreign).toBeInstanceOf(InvalidToken);
    expect(foreign).not.toBeInstanceOf(InsufficientScope);
  });

  it('toJSON gives the RFC 6749 §5.2 body without undefined members', () => {
    expect(new InvalidRequest().toJSON()).toEqual({ error: 'invalid_request' });
    expect(JSON.parse(JSON.stringify(new InvalidToken({ description: 'token expired' })))).toEqual({
      error: 'invalid_token',
      error_description: 'token expired',
    });
  });
});
