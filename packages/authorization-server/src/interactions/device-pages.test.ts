import { describe, expect, it } from 'vitest';
import { userCodeOutcome } from './device-pages.js';
import { deviceMessages } from './views/device.js';

function named(name: string): Error {
  const error = new Error('x');
  error.name = name;
  return error;
}

describe('userCodeOutcome', () => {
  it('maps the provider re-render errors to plain words and 400', () => {
    expect(userCodeOutcome({ error: 'invalid_request' }, named('NotFoundError'))).toEqual({
      message: deviceMessages.notFound,
      status: 400,
      keepCode: true,
    });
    expect(userCodeOutcome(undefined, named('ExpiredError'))).toMatchObject({
      message: deviceMessages.expired,
    });
    expect(userCodeOutcome(undefined, named('AlreadyUsedError'))).toMatchObject({
      message: deviceMessages.alreadyUsed,
    });
    expect(userCodeOutcome(undefined, named('NoCodeError'))).toMatchObject({
      message: deviceMessages.noCode,
    });
  });

  it('a cancelled or denied request is "denied"', () => {
    expect(userCodeOutcome(undefined, named('AbortedError'))).toBe('denied');
    expect(userCodeOutcome({ error: 'access_denied' }, new Error('x'))).toBe('denied');
  });

  it('an anti-forgery failure says the form expired; anything else keeps its status with a generic message', () => {
    expect(userCodeOutcome({ error: 'invalid_request' }, new Error('xsrf'))).toMatchObject({
      message: deviceMessages.formExpired,
      status: 400,
    });
    expect(userCodeOutcome({ error: 'server_error' }, new Error('boom'))).toEqual({
      message: deviceMessages.internal,
      status: undefined,
      keepCode: false,
    });
  });
});
