/**
 * Validation of the authorization response that reaches the redirect URI (RFC 6749 §4.1.2 and
 * §4.1.2.1), in the order MCP 2026-07-28 requires (§ Authorization Response Validation, requirements
 * §1.4 C15, §2.13, checklist §10.1):
 *
 * 1. `iss` (RFC 9207 §2.4), before anything else of the response is trusted or shown;
 * 2. `state` (RFC 6749 §10.12), compared in constant time;
 * 3. `error` → {@link AuthorizationDenied} / {@link AuthorizationFailed};
 * 4. `code`.
 *
 * | `authorization_response_iss_parameter_supported` | `iss` | outcome |
 * | --- | --- | --- |
 * | `true` | present | must equal the expected issuer |
 * | `true` | absent | rejected |
 * | `false` / absent | present | must equal the expected issuer |
 * | `false` / absent | absent | accepted |
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { invalidArgument, ProtocolError } from '@gatehouse/core';
import { AuthorizationDenied, AuthorizationFailed } from './errors.js';

/** What {@link processAuthorizationCallback} checks the response against. */
export interface AuthorizationCallbackExpectations {
  /** Required. The `state` sent in the authorization request. */
  readonly expectedState: string;
  /**
   * Required. The `issuer` of the authorization server's validated metadata, recorded before the
   * browser was sent there. Compared with `iss` as strings, without any normalization.
   */
  readonly expectedIssuer: string;
  /**
   * The metadata's `authorization_response_iss_parameter_supported`. When `true`, a response
   * without `iss` is rejected. Default `false` (the field is absent).
   */
  readonly issParameterSupported?: boolean | undefined;
}

/** RFC 6749 §5.2 characters of `error` and `error_description`: %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** One query parameter; a parameter given twice is refused (RFC 6749 §3.1). */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw new ProtocolError(
      'ERR_INVALID_RESPONSE',
      `the authorization response repeats "${name}" (RFC 6749 §3.1: parameters must not be included more than once)`,
      { attribute: name, expected: 'one value', actual: `${values.length} values` },
    );
  }
  return values[0];
}

/** Constant-time string equality (RFC 6749 §10.12 `state`): compares SHA-256 digests of both. */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function checkIssuer(params: URLSearchParams, expectations: AuthorizationCallbackExpectations): void {
  const iss = single(params, 'iss');
  if (iss === undefined) {
    if (expectations.issParameterSupported === true) {
      throw new ProtocolError(
        'ERR_MISSING_ATTRIBUTE',
        'the authorization response has no "iss" although the authorization server advertises authorization_response_iss_parameter_supported (RFC 9207 §2.4); the response is not used',
        { attribute: 'iss', expected: expectations.expectedIssuer, actual: undefined },
      );
    }
    return;
  }
  if (iss !== expectations.expectedIssuer) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      '"iss" in the authorization response is not the issuer of the authorization server the request was sent to (RFC 9207 §2.4, a possible mix-up attack); the response, including any error in it, is not used',
      { attribute: 'iss', expected: expectations.expectedIssuer, actual: JSON.stringify(iss.slice(0, 200)) },
    );
  }
}

function checkState(params: URLSearchParams, expectedState: string): void {
  const state = single(params, 'state');
  if (state === undefined) {
    throw new ProtocolError(
      'ERR_MISSING_ATTRIBUTE',
      'the authorization response has no "state"; the response is not used (RFC 6749 §10.12)',
      { attribute: 'state', expected: 'the state of the request', actual: undefined },
    );
  }
  if (!sameSecret(state, expectedState)) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      '"state" in the authorization response does not match the request (a forged or stale response); the response is not used',
      { attribute: 'state', expected: 'the state of the request' },
    );
  }
}

function errorResponse(params: URLSearchParams, error: string): AuthorizationFailed {
  if (error === '' || error.length > 64 || !ERROR_TEXT.test(error)) {
    return new AuthorizationFailed('invalid_response', {
      description: 'the authorization server answered with an error code that is not RFC 6749 §5.2 text',
    });
  }
  const description = single(params, 'error_description');
  const uri = single(params, 'error_uri');
  const options = {
    ...(description !== undefined && description.length <= 300 && ERROR_TEXT.test(description)
      ? { description }
      : {}),
    ...(uri !== undefined && URL.parse(uri)?.protocol === 'https:' ? { uri } : {}),
  };
  return error === 'access_denied'
    ? new AuthorizationDenied(options)
    : new AuthorizationFailed(error, options);
}

/**
 * Validates the authorization response at the redirect URI and returns the authorization `code`
 * (secret: redeem it once with `authorizationCodeGrantRequest`, never log it).
 *
 * Throws, in this order:
 * - `ProtocolError` with attribute `iss` per the table above (`ERR_MISSING_ATTRIBUTE` /
 *   `ERR_UNEXPECTED_VALUE`): a response from another server is never acted on, and its `error`,
 *   `error_description` and `error_uri` are never surfaced (MCP 2026-07-28: MUST NOT);
 * - `ProtocolError` with attribute `state` (missing, or not the expected one);
 * - `AuthorizationDenied` for `error=access_denied`, `AuthorizationFailed` for any other `error`;
 * - `ProtocolError` `ERR_MISSING_ATTRIBUTE` with attribute `code` when there is neither;
 * - `ProtocolError` `ERR_INVALID_RESPONSE` when a parameter appears twice.
 * Messages never contain the code, the state or unencoded response text.
 *
 * Does NOT check the redirect URI's host, port or path (the loopback listener does), or that the
 * code is unused (the token endpoint does).
 *
 * @example
 * const code = processAuthorizationCallback(await listener.waitForCallback(), {
 *   expectedState: state,
 *   expectedIssuer: metadata.issuer,
 *   issParameterSupported: metadata.authorization_response_iss_parameter_supported,
 * });
 */
export function processAuthorizationCallback(
  callbackUrl: URL,
  expectations: AuthorizationCallbackExpectations,
): string {
  if (!(callbackUrl instanceof URL)) {
    throw invalidArgument('"callbackUrl" must be a URL', 'ERR_INVALID_ARG_TYPE');
  }
  const { expectedState, expectedIssuer, issParameterSupported } = expectations ?? {};
  if (typeof expectedState !== 'string' || expectedState === '') {
    throw invalidArgument(
      '"expectedState" is required: the response must be checked against it',
      'ERR_MISSING_OPTION',
    );
  }
  if (typeof expectedIssuer !== 'string' || expectedIssuer === '') {
    throw invalidArgument(
      '"expectedIssuer" is required: "iss" must be checked against it',
      'ERR_MISSING_OPTION',
    );
  }
  if (issParameterSupported !== undefined && typeof issParameterSupported !== 'boolean') {
    throw invalidArgument('"issParameterSupported" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  const params = callbackUrl.searchParams;
  checkIssuer(params, { expectedState, expectedIssuer, issParameterSupported });
  checkState(params, expectedState);
  const error = single(params, 'error');
  if (error !== undefined) throw errorResponse(params, error);
  const code = single(params, 'code');
  if (code === undefined || code === '') {
    throw new ProtocolError(
      'ERR_MISSING_ATTRIBUTE',
      'the authorization response has neither "code" nor "error" (RFC 6749 §4.1.2)',
      { attribute: 'code', expected: 'an authorization code', actual: undefined },
    );
  }
  return code;
}
