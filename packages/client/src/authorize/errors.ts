/**
 * The errors of the authorization code flow's front channel: the authorization server's error
 * redirect (RFC 6749 §4.1.2.1) and the loopback wait running out of time. State and `iss`
 * mismatches are `ProtocolError`s (core), raised by `processAuthorizationCallback`.
 */
import { OAuthError, type OAuthErrorOptions } from '@gatehouse/core';

const failedBrand = Symbol.for('gatehouse.AuthorizationFailed');
const deniedBrand = Symbol.for('gatehouse.AuthorizationDenied');
const timeoutBrand = Symbol.for('gatehouse.AuthorizationTimeout');

/**
 * The authorization server redirected back with an `error` other than `access_denied` (RFC 6749
 * §4.1.2.1: `invalid_request`, `invalid_scope`, `server_error`, …), after `state` and `iss` were
 * verified. Carries the server's `error` code, and its `error_description` only when it uses the
 * RFC 6749 §5.2 characters and is at most 300 long.
 *
 * Family: an {@link OAuthError} (`code` = `ERR_OAUTH_` + the upper-cased `error`). An authorization
 * response is a redirect, not an HTTP answer: `status` is 400 by convention.
 *
 * @example
 * catch (e) { if (e instanceof AuthorizationFailed) log(e.error); }
 */
export class AuthorizationFailed extends OAuthError {
  override readonly name: string = 'AuthorizationFailed';

  constructor(error: string, options: OAuthErrorOptions = {}) {
    super(error, 400, options);
    Object.defineProperty(this, failedBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && failedBrand in value;
  }
}

/**
 * The user (or the server's policy) refused the authorization: `error=access_denied` (RFC 6749
 * §4.1.2.1). A person's decision: do not retry on your own. Also an {@link AuthorizationFailed}.
 *
 * @example
 * catch (e) { if (e instanceof AuthorizationDenied) tellUser('access was refused'); }
 */
export class AuthorizationDenied extends AuthorizationFailed {
  override readonly name: string = 'AuthorizationDenied';

  constructor(options: OAuthErrorOptions = {}) {
    super('access_denied', options);
    Object.defineProperty(this, deniedBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && deniedBrand in value;
  }
}

/**
 * No authorization response reached the loopback listener in time (the user closed the browser,
 * or never signed in). `code` is `ERR_AUTHORIZATION_TIMEOUT`; `timeoutMs` says how long it waited.
 * The listener is closed when this is thrown.
 *
 * @example
 * catch (e) { if (e instanceof AuthorizationTimeout) tellUser('the sign-in was not completed'); }
 */
export class AuthorizationTimeout extends Error {
  override readonly name = 'AuthorizationTimeout';
  readonly code = 'ERR_AUTHORIZATION_TIMEOUT';
  readonly timeoutMs: number;

  /** `options.message` replaces the loopback listener's message (the device grant has its own). */
  constructor(timeoutMs: number, options: { message?: string; cause?: unknown } = {}) {
    super(
      options.message ??
        `no authorization response arrived within ${timeoutMs} ms; the loopback listener is closed`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, timeoutBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && timeoutBrand in value;
  }
}

const portInUseBrand = Symbol.for('gatehouse.CallbackPortInUse');

/**
 * The loopback listener could not bind: every port it was allowed to use on 127.0.0.1 is taken
 * (RFC 8252 §7.3: a client registered with a fixed redirect port has no other choice). `code` is
 * `EADDRINUSE`, as Node's own error; `ports` says which ports were tried. Free one, or pass another
 * port or a range.
 */
export class CallbackPortInUse extends Error {
  override readonly name = 'CallbackPortInUse';
  readonly code = 'EADDRINUSE';
  readonly ports: readonly number[];

  constructor(ports: readonly number[], options: { cause?: unknown } = {}) {
    const range = ports.length === 1 ? `port ${ports[0]}` : `every port from ${ports[0]} to ${ports.at(-1)}`;
    super(
      `cannot listen for the authorization response: ${range} on 127.0.0.1 is in use`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.ports = Object.freeze([...ports]);
    Object.defineProperty(this, portInUseBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && portInUseBrand in value;
  }
}
