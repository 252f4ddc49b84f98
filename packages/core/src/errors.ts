/**
 * The three error families of Gatehouse (see STYLE.md, "Three error families").
 *
 * 1. Misuse by the caller: a `TypeError` with a stable `code` (`ERR_INVALID_ARG_VALUE`, …), made
 *    with {@link invalidArgument}. Thrown at construction, never at request time.
 * 2. A peer broke the protocol: {@link ProtocolError}, with `expected`, `actual` and `attribute`.
 * 3. An OAuth error on the wire: {@link OAuthError} and its subclasses, each named after the
 *    `error` code it produces (RFC 6749 §5.2, RFC 6750 §3.1, RFC 8707 §2), carrying the HTTP status.
 *
 * Every class brands its instances with a `Symbol.for` key, so `instanceof` still matches when two
 * copies of this package are installed side by side.
 */

/** Stable codes for caller misuse. */
export type MisuseCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_MISSING_OPTION'
  | 'ERR_REMOVED_OPTION';

/** A `TypeError` carrying a stable misuse `code`. */
export interface MisuseError extends TypeError {
  readonly code: MisuseCode;
}

/**
 * Creates the error for caller misuse: an invalid or missing option, detected at construction.
 *
 * @example
 * throw invalidArgument('"audience" is required: tokens must be checked against this resource', 'ERR_MISSING_OPTION');
 */
export function invalidArgument(message: string, code: MisuseCode = 'ERR_INVALID_ARG_VALUE'): MisuseError {
  const error = new TypeError(message) as TypeError & { code: MisuseCode };
  error.code = code;
  return error;
}

/** Stable codes for a peer that broke the protocol. */
export type ProtocolErrorCode =
  | 'ERR_INVALID_RESPONSE'
  | 'ERR_INVALID_METADATA'
  | 'ERR_UNEXPECTED_VALUE'
  | 'ERR_MISSING_ATTRIBUTE'
  | 'ERR_FETCH_REFUSED'
  | 'ERR_FETCH_TIMEOUT'
  | 'ERR_RESPONSE_TOO_LARGE'
  | 'ERR_FETCH_FAILED';

const protocolErrorBrand = Symbol.for('gatehouse.ProtocolError');

/** Details of a {@link ProtocolError}. Values are never secrets: callers must not put tokens here. */
export interface ProtocolErrorDetails {
  /** The attribute (field, header, parameter) that was wrong, with its spec name. */
  attribute?: string;
  /** What the protocol required. */
  expected?: unknown;
  /** What the peer sent (only ever non-secret values). */
  actual?: unknown;
  cause?: unknown;
}

/**
 * A peer (authorization server, resource server, metadata host) broke the protocol.
 *
 * @example
 * throw new ProtocolError('ERR_UNEXPECTED_VALUE', '"issuer" in the metadata does not match the issuer URL', {
 *   attribute: 'issuer', expected, actual,
 * });
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly attribute: string | undefined;
  readonly expected: unknown;
  readonly actual: unknown;

  constructor(code: ProtocolErrorCode, message: string, details: ProtocolErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.attribute = details.attribute;
    this.expected = details.expected;
    this.actual = details.actual;
    Object.defineProperty(this, protocolErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && protocolErrorBrand in value;
  }
}

const oauthErrorBrand = Symbol.for('gatehouse.OAuthError');

/** Options common to every {@link OAuthError}. */
export interface OAuthErrorOptions {
  /** Human-readable text for the developer; never contains secrets or unencoded peer input. */
  description?: string;
  /** RFC 6749 `error_uri`. */
  uri?: string;
  cause?: unknown;
}

/**
 * An OAuth error as it appears on the wire (`error`, `error_description`, HTTP status).
 * Subclasses are named after the `error` they produce.
 */
export class OAuthError extends Error {
  override readonly name: string = 'OAuthError';
  /** The RFC `error` code, e.g. `invalid_token`. */
  readonly error: string;
  /** The HTTP status this error is answered with. */
  readonly status: number;
  readonly error_description: string | undefined;
  readonly error_uri: string | undefined;
  /** A stable code for `switch`: `ERR_OAUTH_` + the upper-cased `error`. */
  readonly code: string;

  constructor(error: string, status: number, options: OAuthErrorOptions = {}) {
    super(
      options.description ? `${error}: ${options.description}` : error,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.error = error;
    this.status = status;
    this.error_description = options.description;
    this.error_uri = options.uri;
    this.code = `ERR_OAUTH_${error.toUpperCase()}`;
    Object.defineProperty(this, oauthErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses: check the brand and then the prototype chain of this constructor.
    if (typeof value !== 'object' || value === null || !(oauthErrorBrand in value)) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested (polymorphic on purpose).
    if (this === OAuthError) return true;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested (polymorphic on purpose).
    return (value as { error?: unknown }).error === (this as unknown as { errorCode?: string }).errorCode;
  }

  /** The JSON body of a token / registration error response (RFC 6749 §5.2). */
  toJSON(): { error: string; error_description?: string; error_uri?: string } {
    return {
      error: this.error,
      ...(this.error_description === undefined ? {} : { error_description: this.error_description }),
      ...(this.error_uri === undefined ? {} : { error_uri: this.error_uri }),
    };
  }
}

/** 400 `invalid_request` (RFC 6750 §3.1): a malformed request, e.g. a bad `Authorization` header. */
export class InvalidRequest extends OAuthError {
  static readonly errorCode = 'invalid_request';
  override readonly name = 'InvalidRequest';
  constructor(options: OAuthErrorOptions = {}) {
    super('invalid_request', 400, options);
  }
}

/** Options of {@link InvalidToken}. */
export interface InvalidTokenOptions extends OAuthErrorOptions {
  /**
   * `false` when the request carried no credentials at all: RFC 6750 §3.1 says the challenge then
   * carries no `error` code. Default `true`.
   */
  tokenPresent?: boolean;
}

/** 401 `invalid_token` (RFC 6750 §3.1): missing, expired, revoked, malformed, or for another audience. */
export class InvalidToken extends OAuthError {
  static readonly errorCode = 'invalid_token';
  override readonly name = 'InvalidToken';
  /** Whether the request carried a token at all (see {@link InvalidTokenOptions.tokenPresent}). */
  readonly tokenPresent: boolean;
  constructor(options: InvalidTokenOptions = {}) {
    super('invalid_token', 401, options);
    this.tokenPresent = options.tokenPresent ?? true;
  }

  /** The request had no credentials: a bare 401 challenge, no error code. */
  static missing(): InvalidToken {
    return new InvalidToken({ tokenPresent: false, description: 'no access token in the request' });
  }
}

/** Options of {@link InsufficientScope}. */
export interface InsufficientScopeOptions extends OAuthErrorOptions {
  /** Every scope the operation needs (MCP 2025-11-25 § Scope Challenge Handling), not only the missing ones. */
  scope: readonly string[];
}

/** 403 `insufficient_scope` (RFC 6750 §3.1): the token is valid but lacks a scope the operation needs. */
export class InsufficientScope extends OAuthError {
  static readonly errorCode = 'insufficient_scope';
  override readonly name = 'InsufficientScope';
  readonly scope: readonly string[];
  constructor(options: InsufficientScopeOptions) {
    super('insufficient_scope', 403, options);
    this.scope = [...options.scope];
  }
}

/** 400 `invalid_target` (RFC 8707 §2): the requested resource is unknown or not allowed. */
export class InvalidTarget extends OAuthError {
  static readonly errorCode = 'invalid_target';
  override readonly name = 'InvalidTarget';
  constructor(options: OAuthErrorOptions = {}) {
    super('invalid_target', 400, options);
  }
}

/** 401 `invalid_client` (RFC 6749 §5.2): client authentication failed. */
export class InvalidClient extends OAuthError {
  static readonly errorCode = 'invalid_client';
  override readonly name = 'InvalidClient';
  constructor(options: OAuthErrorOptions = {}) {
    super('invalid_client', 401, options);
  }
}

/** 503 `temporarily_unavailable`: a dependency (JWKS host, introspection endpoint) could not be reached. */
export class TemporarilyUnavailable extends OAuthError {
  static readonly errorCode = 'temporarily_unavailable';
  override readonly name = 'TemporarilyUnavailable';
  constructor(options: OAuthErrorOptions = {}) {
    super('temporarily_unavailable', 503, options);
  }
}
