import { describe, expect, it } from 'vitest';
import {
  buildWwwAuthenticate,
  type Challenge,
  findChallenge,
  parseWwwAuthenticate,
} from './www-authenticate.js';

/** Plain-object view of parsed challenges, for readable `toEqual` assertions. */
function plain(challenges: Challenge[]) {
  return challenges.map((c) => ({
    scheme: c.scheme,
    params: { ...c.params },
    ...(c.token68 === undefined ? {} : { token68: c.token68 }),
  }));
}

describe('parseWwwAuthenticate: real-world headers', () => {
  it('reads an MCP 401 challenge (resource_metadata + scope)', () => {
    const header =
      'Bearer resource_metadata="https://x/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"';
    expect(plain(parseWwwAuthenticate(header))).toEqual([
      {
        scheme: 'Bearer',
        params: {
          resource_metadata: 'https://x/.well-known/oauth-protected-resource/mcp',
          scope: 'files:read files:write',
        },
      },
    ]);
  });

  it('reads an MCP 403 insufficient_scope challenge', () => {
    const header =
      'Bearer error="insufficient_scope", scope="a", resource_metadata="https://x/.well-known/oauth-protected-resource", error_description="Additional file write permission required"';
    expect(plain(parseWwwAuthenticate(header))).toEqual([
      {
        scheme: 'Bearer',
        params: {
          error: 'insufficient_scope',
          scope: 'a',
          resource_metadata: 'https://x/.well-known/oauth-protected-resource',
          error_description: 'Additional file write permission required',
        },
      },
    ]);
  });

  it('reads unquoted token values', () => {
    expect(plain(parseWwwAuthenticate('Bearer realm=example'))).toEqual([
      { scheme: 'Bearer', params: { realm: 'example' } },
    ]);
  });

  it('reads a token68 challenge', () => {
    expect(plain(parseWwwAuthenticate('Negotiate abc=='))).toEqual([
      { scheme: 'Negotiate', params: {}, token68: 'abc==' },
    ]);
    expect(plain(parseWwwAuthenticate('Negotiate a/b+c.d~e_f-=, Basic'))).toEqual([
      { scheme: 'Negotiate', params: {}, token68: 'a/b+c.d~e_f-=' },
      { scheme: 'Basic', params: {} },
    ]);
  });

  it('reads several challenges of mixed schemes in one value', () => {
    const header =
      'Basic realm="x", Bearer error="invalid_token", scope="a b", Negotiate, DPoP algs="ES256 PS256"';
    expect(plain(parseWwwAuthenticate(header))).toEqual([
      { scheme: 'Basic', params: { realm: 'x' } },
      { scheme: 'Bearer', params: { error: 'invalid_token', scope: 'a b' } },
      { scheme: 'Negotiate', params: {} },
      { scheme: 'DPoP', params: { algs: 'ES256 PS256' } },
    ]);
  });

  it('reads the RFC 9110 §11.6.1 example with an escaped quote', () => {
    const header = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"';
    expect(plain(parseWwwAuthenticate(header))).toEqual([
      { scheme: 'Newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'Basic', params: { realm: 'simple' } },
    ]);
  });

  it('reads the value of several header lines, as Headers.get joins them, and an array of lines', () => {
    const headers = new Headers();
    headers.append('WWW-Authenticate', 'Basic realm="x"');
    headers.append('WWW-Authenticate', 'Bearer scope="a"');
    expect(plain(parseWwwAuthenticate(headers.get('www-authenticate')))).toEqual([
      { scheme: 'Basic', params: { realm: 'x' } },
      { scheme: 'Bearer', params: { scope: 'a' } },
    ]);
    expect(plain(parseWwwAuthenticate(['Basic realm="x"', 'Bearer scope="a"']))).toHaveLength(2);
  });

  it('reads the header of a real Response', () => {
    const response = new Response(null, {
      status: 401,
      headers: {
        'WWW-Authenticate': 'Bearer resource_metadata="https://h/.well-known/oauth-protected-resource"',
      },
    });
    const bearer = findChallenge(parseWwwAuthenticate(response.headers.get('www-authenticate')), 'bearer');
    expect(bearer?.params.resource_metadata).toBe('https://h/.well-known/oauth-protected-resource');
  });

  it('lower-cases parameter names, keeps the scheme as sent, and keeps the first duplicate', () => {
    expect(plain(parseWwwAuthenticate('BEARER Scope="first", SCOPE="second", Error=x'))).toEqual([
      { scheme: 'BEARER', params: { scope: 'first', error: 'x' } },
    ]);
  });

  it('allows whitespace around "=" (BWS), empty list elements and tabs', () => {
    expect(plain(parseWwwAuthenticate(' ,, Bearer\trealm = "r" ,  , scope\t=\t"s" ,'))).toEqual([
      { scheme: 'Bearer', params: { realm: 'r', scope: 's' } },
    ]);
  });

  it('keeps obs-text (Latin-1) inside quoted strings', () => {
    expect(parseWwwAuthenticate('Bearer realm="caf\u00e9"')[0]?.params.realm).toBe('caf\u00e9');
  });

  it('returns no challenge for an empty header, null or undefined', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('   ')).toEqual([]);
    expect(parseWwwAuthenticate(null)).toEqual([]);
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
  });

  it('treats `__proto__` as an ordinary parameter name', () => {
    const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", constructor="y"');
    expect(Object.hasOwn(challenge!.params, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(challenge!.params, '__proto__')?.value).toBe('x');
    expect(challenge!.params.constructor).toBe('y');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('compares equal to plain objects despite the null-prototype params', () => {
    expect(parseWwwAuthenticate('Bearer a=b')).toEqual([{ scheme: 'Bearer', params: { a: 'b' } }]);
  });

  it('returns frozen challenges', () => {
    const [challenge] = parseWwwAuthenticate('Bearer scope="a"');
    expect(Object.isFrozen(challenge)).toBe(true);
    expect(Object.isFrozen(challenge!.params)).toBe(true);
  });
});

describe('parseWwwAuthenticate: garbage is skipped, never thrown', () => {
  it.each([
    ['only garbage', '=== ,,, """', []],
    ['unterminated quoted string', 'Bearer error="invalid_token', [{ scheme: 'Bearer', params: {} }]],
    [
      'a malformed parameter is dropped, the rest kept',
      'Bearer a="x"junk, scope="s"',
      [{ scheme: 'Bearer', params: { scope: 's' } }],
    ],
    ['a parameter before any scheme is dropped', 'realm="x", Basic', [{ scheme: 'Basic', params: {} }]],
    [
      'a scheme glued to a quote is dropped with its parameters',
      'Bearer"x", scope="s", Basic realm="r"',
      [{ scheme: 'Basic', params: { realm: 'r' } }],
    ],
    [
      'parameters after a token68 are dropped',
      'Negotiate abc==, realm="x"',
      [{ scheme: 'Negotiate', params: {}, token68: 'abc==' }],
    ],
    [
      'a control character inside quotes',
      'Bearer realm="a\u0001b", scope="s"',
      [{ scheme: 'Bearer', params: { scope: 's' } }],
    ],
    ['a character above U+00FF inside quotes', 'Bearer realm="\u20ac"', [{ scheme: 'Bearer', params: {} }]],
    ['a backslash at the very end', 'Bearer realm="abc\\', [{ scheme: 'Bearer', params: {} }]],
    [
      'an empty unquoted value',
      'Bearer scope="s", realm=, x=y',
      [{ scheme: 'Bearer', params: { scope: 's', x: 'y' } }],
    ],
    // By the grammar, `realm=` right after the scheme is a token68, not an empty parameter.
    ['`name=` after the scheme', 'Bearer realm=', [{ scheme: 'Bearer', params: {}, token68: 'realm=' }]],
  ])('%s', (_name, header, expected) => {
    expect(plain(parseWwwAuthenticate(header))).toEqual(expected);
  });

  it('does not read a parameter hidden inside the quoted text of a malformed element', () => {
    const header = 'Bearer error_description="x, scope=admin, y" junk, realm="r"';
    expect(plain(parseWwwAuthenticate(header))).toEqual([{ scheme: 'Bearer', params: { realm: 'r' } }]);
  });

  it('does not throw on non-string input at runtime', () => {
    expect(parseWwwAuthenticate(42 as unknown as string)).toEqual([]);
    expect(parseWwwAuthenticate([42, 'Basic'] as unknown as string[])).toHaveLength(1);
  });
});

describe('buildWwwAuthenticate', () => {
  it('builds an MCP 403 challenge, quoting every value', () => {
    expect(
      buildWwwAuthenticate({
        scheme: 'Bearer',
        params: {
          error: 'insufficient_scope',
          scope: 'files:read files:write',
          resource_metadata: 'https://x/y',
        },
      }),
    ).toBe(
      'Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://x/y"',
    );
  });

  it('escapes quotes and backslashes', () => {
    expect(buildWwwAuthenticate({ scheme: 'Basic', params: { realm: 'a "b" \\c' } })).toBe(
      'Basic realm="a \\"b\\" \\\\c"',
    );
  });

  it('joins several challenges; a challenge without params is just its scheme; token68 is kept bare', () => {
    expect(
      buildWwwAuthenticate([
        { scheme: 'Negotiate', params: {}, token68: 'abc==' },
        { scheme: 'Basic', params: {} },
        { scheme: 'Bearer', params: { realm: 'r' } },
      ]),
    ).toBe('Negotiate abc==, Basic, Bearer realm="r"');
  });

  it.each([
    ['a scheme that is not a token', { scheme: 'Bear er', params: {} }],
    ['an empty scheme', { scheme: '', params: {} }],
    ['a parameter name that is not a token', { scheme: 'Bearer', params: { 'sco pe': 'a' } }],
    ['a value with a line feed', { scheme: 'Bearer', params: { realm: 'a\nb' } }],
    ['a value with DEL', { scheme: 'Bearer', params: { realm: 'a\u007fb' } }],
    ['a value outside Latin-1', { scheme: 'Bearer', params: { realm: '\u20ac' } }],
    ['a duplicate name (case-insensitive)', { scheme: 'Bearer', params: { realm: 'a', Realm: 'b' } }],
    ['a malformed token68', { scheme: 'Negotiate', params: {}, token68: 'a=b' }],
    ['token68 with params', { scheme: 'Negotiate', params: { a: 'b' }, token68: 'abc' }],
  ])('throws ERR_INVALID_ARG_VALUE for %s', (_name, challenge) => {
    expect(() => buildWwwAuthenticate(challenge as Challenge)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('allows HTAB in a value', () => {
    expect(buildWwwAuthenticate({ scheme: 'Bearer', params: { realm: 'a\tb' } })).toBe('Bearer realm="a\tb"');
  });

  it('throws for an empty list and for a non-string value', () => {
    expect(() => buildWwwAuthenticate([])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() =>
      buildWwwAuthenticate({ scheme: 'Bearer', params: { realm: 1 as unknown as string } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('findChallenge', () => {
  const challenges = parseWwwAuthenticate('Basic realm="x", bearer scope="a", Bearer scope="b"');

  it('matches the scheme case-insensitively and returns the first match', () => {
    expect(findChallenge(challenges, 'BEARER')?.params.scope).toBe('a');
    expect(findChallenge(challenges, 'basic')?.params.realm).toBe('x');
  });

  it('returns undefined when no challenge has the scheme', () => {
    expect(findChallenge(challenges, 'DPoP')).toBeUndefined();
    expect(findChallenge([], 'Bearer')).toBeUndefined();
  });
});
