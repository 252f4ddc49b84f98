import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildWwwAuthenticate, type Challenge, parseWwwAuthenticate } from './www-authenticate.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const TOKEN68_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/';

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const lowerToken = token.map((t) => t.toLowerCase());

/** Printable Latin-1 (what a quoted-string can carry), with the grammar's special characters favoured. */
const latin1Char = fc.oneof(
  fc.constantFrom('"', '\\', ',', '=', ' ', '\t', ';'),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
);
const latin1Value = fc.string({ unit: latin1Char, maxLength: 40 });

const token68 = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...TOKEN68_CHARS), minLength: 1, maxLength: 20 }),
    fc.nat({ max: 3 }),
  )
  .map(([body, padding]) => body + '='.repeat(padding));

const paramsChallenge: fc.Arbitrary<Challenge> = fc.record({
  scheme: token,
  params: fc
    .uniqueArray(fc.tuple(lowerToken, latin1Value), { selector: ([name]) => name, maxLength: 6 })
    .map((entries) => Object.fromEntries(entries)),
});
const token68Challenge: fc.Arbitrary<Challenge> = fc.record({
  scheme: token,
  params: fc.constant({}),
  token68,
});
const challenges = fc.array(fc.oneof(paramsChallenge, token68Challenge), { minLength: 1, maxLength: 5 });

function plain(list: readonly Challenge[]) {
  return list.map((c) => ({
    scheme: c.scheme,
    params: Object.fromEntries(Object.entries(c.params)),
    ...(c.token68 === undefined ? {} : { token68: c.token68 }),
  }));
}

describe('WWW-Authenticate properties', () => {
  it('round-trips: parse(build(challenges)) equals challenges', () => {
    fc.assert(
      fc.property(challenges, (cs) => {
        expect(plain(parseWwwAuthenticate(buildWwwAuthenticate(cs)))).toEqual(plain(cs));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips with parameter names in any case, returning them lower-cased', () => {
    const mixedCase = fc.record({
      scheme: token,
      params: fc
        .uniqueArray(fc.tuple(token, latin1Value), { selector: ([name]) => name.toLowerCase(), maxLength: 6 })
        .map((entries) => Object.fromEntries(entries)),
    });
    fc.assert(
      fc.property(mixedCase, (challenge) => {
        const lowered = Object.fromEntries(
          Object.entries(challenge.params).map(([k, v]) => [k.toLowerCase(), v]),
        );
        expect(plain(parseWwwAuthenticate(buildWwwAuthenticate(challenge)))).toEqual([
          { scheme: challenge.scheme, params: lowered },
        ]);
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(Array.isArray(parseWwwAuthenticate(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(Array.isArray(parseWwwAuthenticate(s))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on full-Unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(Array.isArray(parseWwwAuthenticate(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on strings built from the grammar’s special characters, and returns well-formed challenges', () => {
    const special = fc.constantFrom(
      '"',
      '\\',
      ',',
      '=',
      ' ',
      '\t',
      'a',
      'B',
      '/',
      '+',
      '\u0000',
      '\u00ff',
      '\u20ac',
    );
    const pieces = fc.oneof(special, token, fc.constant('Bearer '), fc.constant('realm="x"'));
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const parsed = parseWwwAuthenticate(parts.join(''));
        for (const challenge of parsed) {
          expect(challenge.scheme).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          for (const name of Object.keys(challenge.params)) expect(name).toBe(name.toLowerCase());
          if (challenge.token68 !== undefined) expect(Object.keys(challenge.params)).toHaveLength(0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
