/**
 * A tokenizer for the HTTP `WWW-Authenticate` header: parse and build authentication challenges.
 *
 * Grammar (RFC 9110 §11.6.1, §11.2, §5.6.2, §5.6.4, §5.6.1):
 *
 * ```
 * WWW-Authenticate = #challenge
 * challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param       = token BWS "=" BWS ( token / quoted-string )
 * token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 * quoted-string    = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 * ```
 *
 * The same list separator (`,`) separates challenges and the parameters of one challenge. An element
 * of the form `token BWS "="` is a parameter of the current challenge; any other element that starts
 * with a token starts a new challenge. This is the one shared tokenizer of Gatehouse (STYLE.md 7):
 * client and resource server both use it, so no regex over this header exists anywhere else.
 */

import { invalidArgument } from './errors.js';

/**
 * One authentication challenge (RFC 9110 §11.3), e.g. RFC 6750 §3 `Bearer error="invalid_token"`.
 * A challenge carries either a `token68` or parameters, never both.
 */
export interface Challenge {
  /** The auth-scheme, as sent (compare case-insensitively, e.g. with {@link findChallenge}). */
  readonly scheme: string;
  /** The auth-params, names lower-cased, values unescaped. */
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (RFC 9110 §11.2), e.g. `Negotiate abc==`. */
  readonly token68?: string;
}

const TAB = 0x09;
const SPACE = 0x20;
const COMMA = 0x2c;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;

/** RFC 9110 §5.6.2 tchar. */
function isTchar(code: number): boolean {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a))
    return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return (
    code === 0x21 ||
    (code >= 0x23 && code <= 0x27) ||
    code === 0x2a ||
    code === 0x2b ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5e ||
    code === 0x5f ||
    code === 0x60 ||
    code === 0x7c ||
    code === 0x7e
  );
}

/** RFC 9110 §11.2 token68 characters, without the trailing `=` padding. */
function isToken68Char(code: number): boolean {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a))
    return true;
  return code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e || code === 0x2b || code === 0x2f;
}

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** qdtext (RFC 9110 §5.6.4): HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (%x80-FF). */
function isQdtext(code: number): boolean {
  return (
    code === TAB ||
    code === SPACE ||
    code === 0x21 ||
    (code >= 0x23 && code <= 0x5b) ||
    (code >= 0x5d && code <= 0x7e) ||
    (code >= 0x80 && code <= 0xff)
  );
}

/** The character after a backslash in a quoted-pair: HTAB / SP / VCHAR / obs-text. */
function isQuotedPairChar(code: number): boolean {
  return code === TAB || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Cursor over one header value. Every method is total: it never throws. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipWhitespace(): number {
    const start = this.pos;
    while (isWhitespace(this.peek())) this.pos++;
    return this.pos - start;
  }

  /** Reads a run of characters accepted by `accept` (possibly empty). */
  readWhile(accept: (code: number) => boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length && accept(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Reads a quoted-string at the cursor (which is on the opening quote); `undefined` if malformed. */
  readQuotedString(): string | undefined {
    let value = '';
    this.pos++; // opening quote
    while (this.pos < this.text.length) {
      const code = this.text.charCodeAt(this.pos);
      if (code === DQUOTE) {
        this.pos++;
        return value;
      }
      if (code === BACKSLASH) {
        const next = this.pos + 1 < this.text.length ? this.text.charCodeAt(this.pos + 1) : -1;
        if (!isQuotedPairChar(next)) return undefined;
        value += this.text[this.pos + 1];
        this.pos += 2;
      } else if (isQdtext(code)) {
        value += this.text[this.pos];
        this.pos++;
      } else {
        return undefined;
      }
    }
    return undefined; // unterminated
  }

  /** True at the end of the value or at a list separator, after optional whitespace. */
  atElementEnd(): boolean {
    this.skipWhitespace();
    return this.done || this.peek() === COMMA;
  }

  /**
   * Recovery: moves to the next `,` that is outside a quoted-string, starting from `from`. Quotes
   * are honoured so that a parameter hidden inside a malformed element's quoted text (`x="a, scope=b"
   * junk`) is never read as a parameter of its own.
   */
  skipElementFrom(from: number): void {
    this.pos = from;
    while (this.pos < this.text.length) {
      const code = this.text.charCodeAt(this.pos);
      if (code === COMMA) return;
      if (code === DQUOTE) {
        this.pos++;
        while (this.pos < this.text.length) {
          const inner = this.text.charCodeAt(this.pos);
          if (inner === BACKSLASH) this.pos += 2;
          else if (inner === DQUOTE) break;
          else this.pos++;
        }
      }
      this.pos++;
    }
  }
}

interface MutableChallenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

/**
 * Reads `BWS "=" BWS ( token / quoted-string )` followed by the end of the element, after the
 * parameter name. Returns `undefined` when the element is malformed.
 */
function readParamValue(cursor: Cursor): string | undefined {
  cursor.skipWhitespace();
  if (cursor.peek() !== EQUALS) return undefined;
  cursor.pos++;
  cursor.skipWhitespace();
  const value = cursor.peek() === DQUOTE ? cursor.readQuotedString() : cursor.readWhile(isTchar) || undefined;
  if (value === undefined || !cursor.atElementEnd()) return undefined;
  return value;
}

function addParam(challenge: MutableChallenge, name: string, value: string): void {
  const key = name.toLowerCase();
  // RFC 9110 §11.2: each parameter name MUST only occur once per challenge. We keep the first one,
  // so that a later duplicate cannot override a value already read.
  if (!Object.hasOwn(challenge.params, key)) challenge.params[key] = value;
}

/**
 * Tries to read a token68 after the scheme. Succeeds only if the token68 is the whole element.
 * On failure the cursor is left where it started.
 */
function tryToken68(cursor: Cursor): string | undefined {
  const start = cursor.pos;
  if (cursor.readWhile(isToken68Char) !== '') {
    cursor.readWhile((code) => code === EQUALS);
    const end = cursor.pos;
    if (cursor.atElementEnd()) return cursor.text.slice(start, end);
  }
  cursor.pos = start;
  return undefined;
}

function freezeChallenge(challenge: MutableChallenge): Challenge {
  Object.freeze(challenge.params);
  return Object.freeze(challenge);
}

function parseOne(header: string, out: Challenge[]): void {
  const cursor = new Cursor(header);
  let current: MutableChallenge | undefined;
  const finish = () => {
    if (current) out.push(freezeChallenge(current));
    current = undefined;
  };

  while (true) {
    // Empty list elements and surrounding whitespace are allowed (RFC 9110 §5.6.1.2).
    while (isWhitespace(cursor.peek()) || cursor.peek() === COMMA) cursor.pos++;
    if (cursor.done) break;

    const elementStart = cursor.pos;
    const name = cursor.readWhile(isTchar);
    if (name === '') {
      // Not a token: neither a parameter nor a scheme. What follows cannot be attributed safely.
      finish();
      cursor.skipElementFrom(elementStart);
      continue;
    }

    const afterName = cursor.pos;
    cursor.skipWhitespace();
    if (cursor.peek() === EQUALS) {
      // An auth-param of the current challenge.
      cursor.pos = afterName;
      const value = readParamValue(cursor);
      if (value === undefined || current === undefined || current.token68 !== undefined) {
        // Malformed, orphaned (no scheme yet) or after a token68 (which takes no parameters).
        cursor.skipElementFrom(elementStart);
      } else {
        addParam(current, name, value);
      }
      continue;
    }

    // A new challenge.
    finish();
    cursor.pos = afterName;
    const gap = cursor.skipWhitespace();
    if (cursor.done || cursor.peek() === COMMA) {
      current = { scheme: name, params: Object.create(null) };
      continue;
    }
    if (gap === 0) {
      // e.g. `Bearer"x"`: the scheme must be followed by SP. Skip; its parameters are orphaned.
      cursor.skipElementFrom(elementStart);
      continue;
    }
    current = { scheme: name, params: Object.create(null) };
    const token68 = tryToken68(cursor);
    if (token68 !== undefined) {
      current.token68 = token68;
      continue;
    }
    const paramStart = cursor.pos;
    const paramName = cursor.readWhile(isTchar);
    const value = paramName === '' ? undefined : readParamValue(cursor);
    if (value === undefined) cursor.skipElementFrom(paramStart);
    else addParam(current, paramName, value);
  }
  finish();
}

/**
 * Parses a `WWW-Authenticate` header value into its challenges (RFC 9110 §11.6.1; RFC 6750 §3 for
 * `Bearer`; RFC 9728 §5.1 for `resource_metadata`).
 *
 * - Several challenges in one value are supported (`Basic realm="x", Bearer scope="a b"`), as is the
 *   value of several header lines joined with `, ` (what `Headers.get` returns), or an array of lines.
 * - Parameter names are lower-cased; values are unescaped (`\"` → `"`). If a name occurs twice in a
 *   challenge, the **first** value wins (RFC 9110 §11.2 forbids duplicates).
 * - The scheme is kept as sent; match it with {@link findChallenge}.
 * - Never throws. Malformed parts are skipped: a malformed parameter is dropped, a malformed
 *   challenge is dropped together with the parameters that follow it. Characters above U+00FF are
 *   not valid in a header and make the element that contains them malformed.
 *
 * Does NOT check what the parameters mean (e.g. that `error` is a known RFC 6750 code, or that
 * `resource_metadata` is an https URL): the caller validates the values it uses.
 *
 * @example
 * parseWwwAuthenticate('Bearer error="insufficient_scope", scope="files:read files:write"');
 * // [{ scheme: 'Bearer', params: { error: 'insufficient_scope', scope: 'files:read files:write' } }]
 */
export function parseWwwAuthenticate(header: string | readonly string[] | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (typeof header === 'string') {
    parseOne(header, out);
  } else if (Array.isArray(header)) {
    for (const line of header) if (typeof line === 'string') parseOne(line, out);
  }
  return out;
}

/** Whether `value` may appear inside a quoted-string: no CTLs except HTAB, nothing above U+00FF. */
function isQuotableValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === TAB) continue;
    if (code < 0x20 || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function buildOne(challenge: Challenge): string {
  if (typeof challenge !== 'object' || challenge === null) {
    throw invalidArgument('each challenge must be an object with a "scheme"', 'ERR_INVALID_ARG_TYPE');
  }
  const { scheme, params, token68 } = challenge;
  if (typeof scheme !== 'string' || !TOKEN.test(scheme)) {
    throw invalidArgument('"scheme" of a challenge must be an RFC 9110 token');
  }
  const entries = params === undefined ? [] : Object.entries(params);
  if (token68 !== undefined) {
    if (typeof token68 !== 'string' || !TOKEN68.test(token68)) {
      throw invalidArgument('"token68" of a challenge must match the RFC 9110 §11.2 token68 syntax');
    }
    if (entries.length > 0) throw invalidArgument('a challenge cannot carry both "token68" and "params"');
    return `${scheme} ${token68}`;
  }
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const [name, value] of entries) {
    if (!TOKEN.test(name)) throw invalidArgument('a challenge parameter name must be an RFC 9110 token');
    const key = name.toLowerCase();
    if (seen.has(key)) throw invalidArgument(`challenge parameter "${key}" occurs more than once`);
    seen.add(key);
    if (typeof value !== 'string') {
      throw invalidArgument(`challenge parameter "${key}" must be a string`, 'ERR_INVALID_ARG_TYPE');
    }
    if (!isQuotableValue(value)) {
      throw invalidArgument(
        `challenge parameter "${key}" contains a control character or a character outside Latin-1`,
      );
    }
    parts.push(`${name}=${quote(value)}`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

/**
 * Serializes challenges into a `WWW-Authenticate` header value (RFC 9110 §11.6.1). Every parameter
 * value is written as a quoted-string with `"` and `\` escaped (RFC 9110 §5.6.4), which RFC 6750 §3
 * and RFC 9728 §5.1 parsers all accept. Parameter names are written as given.
 *
 * Throws `invalidArgument` (`ERR_INVALID_ARG_VALUE`) when the scheme or a parameter name is not a
 * token, a name occurs twice (case-insensitively), a value contains a control character other than
 * HTAB or a character above U+00FF, a challenge has both `token68` and parameters, or the list is
 * empty.
 *
 * Does NOT apply the narrower RFC 6750 §3 character set for `error`, `error_description` and `scope`
 * (%x20-21 / %x23-5B / %x5D-7E): the code that chooses those values is responsible for them.
 *
 * @example
 * buildWwwAuthenticate({ scheme: 'Bearer', params: { error: 'insufficient_scope', scope: 'a b' } });
 * // 'Bearer error="insufficient_scope", scope="a b"'
 */
export function buildWwwAuthenticate(challenges: Challenge | readonly Challenge[]): string {
  const list: readonly Challenge[] = Array.isArray(challenges) ? challenges : [challenges as Challenge];
  if (list.length === 0) throw invalidArgument('at least one challenge is required');
  return list.map(buildOne).join(', ');
}

/**
 * Finds the first challenge with the given auth-scheme, compared case-insensitively
 * (RFC 9110 §11.1: the scheme is a case-insensitive token).
 *
 * @example
 * findChallenge(parseWwwAuthenticate(response.headers.get('www-authenticate')), 'bearer');
 */
export function findChallenge(challenges: readonly Challenge[], scheme: string): Challenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((challenge) => challenge.scheme.toLowerCase() === wanted);
}
