/**
 * Why an upstream sign-in failed, as a closed list of reasons the routes turn into a page in plain
 * words. The upstream's own `error_description` (attacker-influenced text) is never kept: only the
 * reason, and the upstream `error` code when it is a well-formed RFC 6749 §4.1.2.1 token.
 */
import { ProtocolError } from '@gatehouse/core';
import {
  AuthorizationResponseError,
  OperationProcessingError,
  ResponseBodyError,
  UnsupportedOperationError,
  WWWAuthenticateChallengeError,
} from 'oauth4webapi';

/**
 * The reasons, each with the page it produces:
 * - `state_mismatch`: the callback's `state` is missing, unknown, expired or already used (400);
 * - `denied`: the upstream answered `error=access_denied` (the user said no, or cancelled) (403);
 * - `upstream_error`: the upstream answered another authorization error (502);
 * - `unreachable`: discovery, the token request or the JWKS could not be fetched (502);
 * - `invalid_response`: the upstream's answer failed a check: `iss` (RFC 9207), the token
 *   response, the ID token's issuer, audience, nonce, expiry or signature (502).
 */
export type UpstreamFailure =
  | 'state_mismatch'
  | 'denied'
  | 'upstream_error'
  | 'unreachable'
  | 'invalid_response';

const brand = Symbol.for('gatehouse.UpstreamSignInError');

/** An upstream sign-in failed; {@link UpstreamSignInError.reason} says why (see {@link UpstreamFailure}). */
export class UpstreamSignInError extends Error {
  override readonly name = 'UpstreamSignInError';
  readonly code = 'ERR_UPSTREAM_SIGN_IN';
  readonly reason: UpstreamFailure;
  /** The upstream's `error` code for `denied` / `upstream_error`, only when it is a plain token. */
  readonly upstreamError: string | undefined;
  readonly [brand] = true;

  constructor(
    reason: UpstreamFailure,
    message: string,
    options: { cause?: unknown; upstreamError?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.upstreamError = options.upstreamError;
  }

  /** True for an UpstreamSignInError, also one made by another copy of this module. */
  static is(value: unknown): value is UpstreamSignInError {
    return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }
}

/** RFC 6749 §4.1.2.1 `error` values are `%x20-21 / %x23-5B / %x5D-7E`; we keep only a conservative subset. */
const ERROR_CODE = /^[a-z0-9_.-]{1,64}$/i;

/**
 * Classifies an error thrown while talking to the upstream (oauth4webapi or `safeFetch`) into an
 * {@link UpstreamSignInError}; one already classified is returned as it is. Anything unrecognised
 * counts as `invalid_response`: a peer's answer we could not use.
 */
export function classifyUpstreamError(error: unknown): UpstreamSignInError {
  if (UpstreamSignInError.is(error)) return error;
  if (error instanceof AuthorizationResponseError) {
    const code = ERROR_CODE.test(error.error) ? error.error : undefined;
    return new UpstreamSignInError(
      code === 'access_denied' ? 'denied' : 'upstream_error',
      'the upstream answered the authorization request with an error',
      { cause: error, ...(code === undefined ? {} : { upstreamError: code }) },
    );
  }
  if (error instanceof ProtocolError) {
    // safeFetch: a network failure, a timeout, a refusal by the policy, an oversized answer.
    return new UpstreamSignInError('unreachable', 'the upstream could not be reached', { cause: error });
  }
  if (
    error instanceof ResponseBodyError ||
    error instanceof WWWAuthenticateChallengeError ||
    error instanceof OperationProcessingError ||
    error instanceof UnsupportedOperationError
  ) {
    return new UpstreamSignInError('invalid_response', 'the upstream answer failed a check', {
      cause: error,
    });
  }
  return new UpstreamSignInError('invalid_response', 'the upstream exchange failed', { cause: error });
}
