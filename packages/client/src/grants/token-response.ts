/**
 * Validation of a token endpoint response (RFC 6749 §5.1 success, §5.2 error; RFC 6750 §4 Bearer;
 * RFC 9449 §5 DPoP).
 */
import { invalidArgument, OAuthError, ProtocolError } from '@gatehouse/core';
import { at, discard, readJson, unexpectedStatus } from '../http.js';

const WHAT = 'token response';

/**
 * Tokens from a token response. Wire names verbatim, plus `expiresAt`. Holds secrets
 * (`access_token`, `refresh_token`, `id_token`): store it protected, never log it.
 */
export interface TokenSet {
  readonly access_token: string;
  /**
   * `'Bearer'`, or `'DPoP'` (RFC 9449 §5: bound to the key of the request's proof, sent with the
   * `DPoP` scheme and a proof); the response's value normalized (compared case-insensitively).
   */
  readonly token_type: 'Bearer' | 'DPoP';
  /** Seconds, as received. Absent when the server did not say. */
  readonly expires_in?: number;
  /** Seconds since the epoch when the access token expires: receipt time + `expires_in`. */
  readonly expiresAt?: number;
  /** Present when the server issued one (never assume it: MCP 2026-07-28 § Refresh Tokens). */
  readonly refresh_token?: string;
  /**
   * The granted scopes. RFC 6749 §5.1: absent means "as requested"; this field is then absent too
   * (the caller knows what it asked for).
   */
  readonly scope?: string;
  /** An OpenID Connect ID token, when `openid` was requested. Not validated here. */
  readonly id_token?: string;
  /** The `resource` the token was requested for (the `expectedResource`), when given. */
  readonly resource?: string;
}

/** What {@link processTokenResponse} checks. Each default is stated on its field. */
export interface TokenResponseExpectations {
  /**
   * The resource the token was requested for. When the response carries a `resource` member (some
   * servers echo RFC 8707 indicators), it must be or include this value. Default: not checked.
   */
  readonly expectedResource?: string;
  /** The clock, in milliseconds since the epoch, for `expiresAt`. Default: `Date.now`. */
  readonly now?: () => number;
  /**
   * The request carried a DPoP proof: `token_type` `DPoP` is accepted (and `Bearer`: the server may
   * decline to bind, RFC 9449 §5). Default `false`: only `Bearer` (a token bound to a key this
   * caller does not hold is of no use).
   */
  readonly dpop?: boolean;
}

/** RFC 6749 §5.2 characters of `error` and `error_description`: %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The `OAuthError` of an RFC 6749 §5.2 error body, or `undefined` when the body is not one. */
export function oauthErrorFrom(body: unknown, status: number): OAuthError | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, error_description: description, error_uri: uri } = body as Record<string, unknown>;
  if (typeof error !== 'string' || error === '' || error.length > 64 || !ERROR_TEXT.test(error))
    return undefined;
  return new OAuthError(error, status, {
    ...(typeof description === 'string' && description.length <= 300 && ERROR_TEXT.test(description)
      ? { description }
      : {}),
    ...(typeof uri === 'string' && URL.parse(uri)?.protocol === 'https:' ? { uri } : {}),
  });
}

function invalidField(response: Response, name: string, expected: string, actual: string): ProtocolError {
  return new ProtocolError(
    'ERR_INVALID_RESPONSE',
    `"${name}" in the ${WHAT}${at(response)} must be ${expected}`,
    {
      attribute: name,
      expected,
      actual,
    },
  );
}

/** The type of a value, for errors: never the value (it may be a token). */
export function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * Validates a token endpoint response and returns the frozen {@link TokenSet}:
 *
 * - 200 with a JSON object: `access_token` a non-empty string; `token_type` `Bearer` in any case
 *   (RFC 6749 §5.1 case-insensitive), or `DPoP` with `dpop: true`, any other type refused; `expires_in`, when
 *   present, a non-negative number (→ `expiresAt`); `refresh_token`, `scope`, `id_token` strings when
 *   present; `resource`, when present and `expectedResource` given, equal to it or a list including it.
 * - 4xx with an RFC 6749 §5.2 body → `OAuthError` with the server's `error` (so `instanceof
 *   InvalidClient`, `InvalidTarget`, … match), status, and `error_description` when it is RFC text.
 * - anything else → `ProtocolError` (`ERR_INVALID_RESPONSE`, or `ERR_UNEXPECTED_VALUE` with
 *   attribute `token_type` / `resource`).
 *
 * Messages and error details name fields and types, never token values. Does NOT verify the access
 * token (it is opaque to the client) or the ID token.
 *
 * @example
 * const tokens = await processTokenResponse(response, { expectedResource: discovery.resource });
 * fetch(mcpUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
 */
export async function processTokenResponse(
  response: Response,
  expectations: TokenResponseExpectations = {},
): Promise<Readonly<TokenSet>> {
  if (!(response instanceof Response))
    throw invalidArgument('"response" must be a Response', 'ERR_INVALID_ARG_TYPE');
  const { expectedResource, now = Date.now, dpop = false } = expectations;
  if (expectedResource !== undefined && typeof expectedResource !== 'string') {
    throw invalidArgument('"expectedResource" must be a string', 'ERR_INVALID_ARG_TYPE');
  }
  if (response.status !== 200) {
    if (response.status >= 400 && response.status < 500) {
      const error = oauthErrorFrom(await readJson(response, WHAT).catch(() => undefined), response.status);
      if (error !== undefined) throw error;
    } else {
      await discard(response);
    }
    throw unexpectedStatus(WHAT, response, '200 (RFC 6749 §5.1)');
  }
  const body = await readJson(response, WHAT);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('ERR_INVALID_RESPONSE', `the ${WHAT}${at(response)} is not a JSON object`, {
      expected: 'a JSON object',
      actual: kind(body),
    });
  }
  const fields = body as Record<string, unknown>;
  const { access_token, token_type, expires_in, refresh_token, scope, id_token, resource } = fields;
  if (typeof access_token !== 'string' || access_token === '') {
    throw invalidField(response, 'access_token', 'a non-empty string', kind(access_token));
  }
  if (typeof token_type !== 'string')
    throw invalidField(response, 'token_type', 'a string', kind(token_type));
  const type = token_type.toLowerCase();
  if (type !== 'bearer' && !(dpop && type === 'dpop')) {
    const expected = dpop ? '"Bearer" or "DPoP"' : '"Bearer" (no DPoP proof was sent)';
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      `"token_type" in the ${WHAT}${at(response)} is not ${expected}`,
      { attribute: 'token_type', expected, actual: JSON.stringify(token_type.slice(0, 40)) },
    );
  }
  if (
    expires_in !== undefined &&
    (typeof expires_in !== 'number' || !Number.isFinite(expires_in) || expires_in < 0)
  ) {
    throw invalidField(response, 'expires_in', 'a non-negative number', kind(expires_in));
  }
  for (const [name, value] of [
    ['refresh_token', refresh_token],
    ['scope', scope],
    ['id_token', id_token],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || (name !== 'scope' && value === ''))) {
      throw invalidField(response, name, 'a non-empty string', kind(value));
    }
  }
  if (expectedResource !== undefined && resource !== undefined) {
    const listed = Array.isArray(resource) ? resource : [resource];
    if (!listed.includes(expectedResource)) {
      throw new ProtocolError(
        'ERR_UNEXPECTED_VALUE',
        `"resource" in the ${WHAT}${at(response)} does not match the resource the token was requested for`,
        { attribute: 'resource', expected: expectedResource },
      );
    }
  }
  const expiresIn = expires_in as number | undefined;
  return Object.freeze({
    access_token,
    token_type: type === 'dpop' ? 'DPoP' : 'Bearer',
    ...(expiresIn === undefined
      ? {}
      : { expires_in: expiresIn, expiresAt: Math.floor(now() / 1000 + expiresIn) }),
    ...(refresh_token === undefined ? {} : { refresh_token: refresh_token as string }),
    ...(scope === undefined ? {} : { scope: scope as string }),
    ...(id_token === undefined ? {} : { id_token: id_token as string }),
    ...(expectedResource === undefined ? {} : { resource: expectedResource }),
  });
}
