import { InvalidRequest, InvalidToken } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { extractBearerToken } from './bearer.js';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl-_~+/==';

function requestWith(authorization?: string | string[], url = 'http://127.0.0.1/mcp'): Request {
  const headers = new Headers();
  for (const value of authorization === undefined ? [] : [authorization].flat())
    headers.append('authorization', value);
  return new Request(url, { method: 'POST', headers });
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectInvalidRequest(request: Request, secret = TOKEN): InvalidRequest {
  const error = catchError(() => extractBearerToken(request));
  expect(error).toBeInstanceOf(InvalidRequest);
  const oauth = error as InvalidRequest;
  expect(oauth.status).toBe(400);
  expect(oauth.error).toBe('invalid_request');
  expect(oauth.message).not.toContain(secret);
  expect(JSON.stringify(oauth.toJSON())).not.toContain(secret);
  return oauth;
}

describe('extractBearerToken (RFC 6750 §2.1)', () => {
  it('returns the token of "Bearer <b64token>", with every b64token character', () => {
    expect(extractBearerToken(requestWith(`Bearer ${TOKEN}`))).toBe(TOKEN);
  });

  it('compares the scheme case-insensitively', () => {
    expect(extractBearerToken(requestWith(`bearer ${TOKEN}`))).toBe(TOKEN);
    expect(extractBearerToken(requestWith(`BEARER ${TOKEN}`))).toBe(TOKEN);
  });

  it('tolerates several spaces between scheme and token (1*SP in the grammar)', () => {
    expect(extractBearerToken(requestWith(`Bearer   ${TOKEN}`))).toBe(TOKEN);
  });

  it('treats a missing Authorization header as "no token": 401 without an error code', () => {
    const error = catchError(() => extractBearerToken(requestWith()));
    expect(error).toBeInstanceOf(InvalidToken);
    expect((error as InvalidToken).tokenPresent).toBe(false);
    expect((error as InvalidToken).status).toBe(401);
  });

  it('treats an empty Authorization header like a missing one', () => {
    const error = catchError(() => extractBearerToken(requestWith('')));
    expect(error).toBeInstanceOf(InvalidToken);
    expect((error as InvalidToken).tokenPresent).toBe(false);
  });

  it.each([
    ['Basic', `Basic ${TOKEN}`],
    ['Digest', 'Digest username="a", realm="b", nonce="c"'],
    ['a made-up scheme', `Token ${TOKEN}`],
  ])('treats credentials of another scheme (%s) like none: a bare 401 (RFC 6750 §3.1)', (_name, header) => {
    const error = catchError(() => extractBearerToken(requestWith(header)));
    expect(error).toBeInstanceOf(InvalidToken);
    expect((error as InvalidToken).tokenPresent).toBe(false);
  });

  it('refuses Basic and Bearer credentials sent together with 400 invalid_request', () => {
    expectInvalidRequest(requestWith([`Basic abc`, `Bearer ${TOKEN}`]));
  });

  it.each([
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces', 'Bearer    '],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a tab separator', `Bearer\t${TOKEN}`],
    ['no separator', `Bearer${TOKEN}`],
    ['a comma', `Bearer ${TOKEN},x`],
    ['a percent sign', 'Bearer abc%20def'],
    ['"=" before the end', 'Bearer ab=cd'],
    ['only "="', 'Bearer ==='],
    ['a quoted token', `Bearer "${TOKEN}"`],
  ])('refuses %s with 400 invalid_request', (_name, header) => {
    expectInvalidRequest(requestWith(header));
  });

  it('refuses two Authorization headers (joined with a comma)', () => {
    expectInvalidRequest(requestWith([`Bearer ${TOKEN}`, 'Bearer other']));
  });

  it('refuses access_token in the query string (RFC 6750 §2.3), even with a valid header', () => {
    const url = `http://127.0.0.1/mcp?access_token=${TOKEN}`;
    const withHeader = expectInvalidRequest(requestWith(`Bearer ${TOKEN}`, url));
    expect(withHeader.error_description).toBe('access tokens in the query string are refused');
    const withoutHeader = expectInvalidRequest(requestWith(undefined, url));
    expect(withoutHeader.error_description).toBe('access tokens in the query string are refused');
    expectInvalidRequest(requestWith(undefined, 'http://127.0.0.1/mcp?a=1&access_token='));
  });

  it('does not mistake "access_token" elsewhere in the URL for a query parameter', () => {
    const request = requestWith(`Bearer ${TOKEN}`, 'http://127.0.0.1/access_token/mcp?q=access_token');
    expect(extractBearerToken(request)).toBe(TOKEN);
  });
});
