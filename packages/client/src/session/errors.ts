/**
 * The errors `authFetch` raises on its own (issue 4 items 1 and 7). Errors of the steps it composes
 * (discovery `ProtocolError`s, `RegistrationImpossible`, `AuthorizationDenied`, `AuthorizationTimeout`,
 * token endpoint `OAuthError`s, `TokenStoreError`s) are passed through unchanged. No message holds a
 * token, code, verifier or secret: only the server URL (scheme, host, path), scopes and counts.
 */

/**
 * The base class of `authFetch`'s own errors. `code` is stable for `switch`; `serverUrl` is the
 * MCP server's canonical URI.
 */
export class AuthFetchError extends Error {
  override readonly name: string = 'AuthFetchError';
  readonly code: string;
  readonly serverUrl: string;

  constructor(code: string, message: string, serverUrl: string) {
    super(message);
    this.code = code;
    this.serverUrl = serverUrl;
  }
}

/**
 * Storm brake: more interactive authorizations were needed for one server within a minute than
 * allowed (`maxAuthorizationsPerMinute`). A server that keeps refusing fresh tokens would otherwise
 * open browser windows forever. `code` is `ERR_AUTHORIZATION_STORM`; `retryAfterMs` says when the
 * next authorization is allowed.
 */
export class AuthorizationStormError extends AuthFetchError {
  override readonly name: string = 'AuthorizationStormError';
  readonly limit: number;
  readonly retryAfterMs: number;

  constructor(serverUrl: string, limit: number, retryAfterMs: number) {
    super(
      'ERR_AUTHORIZATION_STORM',
      `${limit} interactive authorizations for ${serverUrl} within a minute: refusing another one for ${Math.ceil(retryAfterMs / 1000)} s (the server keeps asking for authorization)`,
      serverUrl,
    );
    this.limit = limit;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The server still answered 403 `insufficient_scope` after `maxStepUps` re-authorizations with the
 * union of the scopes held and challenged (MCP 2025-11-25 § Step-Up Authorization Flow: clients
 * SHOULD limit retries). `code` is `ERR_STEP_UP_LIMIT`; `scopes` are the last ones asked for.
 */
export class StepUpLimitError extends AuthFetchError {
  override readonly name: string = 'StepUpLimitError';
  readonly scopes: readonly string[];

  constructor(serverUrl: string, attempts: number, scopes: readonly string[]) {
    super(
      'ERR_STEP_UP_LIMIT',
      `${serverUrl} still answers insufficient_scope after ${attempts} re-authorization(s); last scopes asked for: ${scopes.join(' ') || '(none)'}`,
      serverUrl,
    );
    this.scopes = Object.freeze([...scopes]);
  }
}

/**
 * The server answered 401 to a request carrying a token obtained by an authorization just completed
 * for it: retrying would loop. `code` is `ERR_AUTHORIZATION_REJECTED`. Often a server whose
 * resource or audience configuration does not match its Protected Resource Metadata.
 */
export class AuthorizationRejectedError extends AuthFetchError {
  override readonly name: string = 'AuthorizationRejectedError';

  constructor(serverUrl: string) {
    super(
      'ERR_AUTHORIZATION_REJECTED',
      `${serverUrl} answered 401 again with the token just obtained for it; not retrying`,
      serverUrl,
    );
  }
}

/**
 * An interactive authorization is needed (no usable token, a refused refresh, or a step-up to more
 * scopes) but `authFetch` was created with `interactive: false`. `code` is
 * `ERR_AUTHORIZATION_REQUIRED`; `scopes` are the ones the authorization would ask for, when known.
 * Sign in with an interactive client (e.g. `gatehouse login <url>`) sharing the same store.
 */
export class AuthorizationRequiredError extends AuthFetchError {
  override readonly name: string = 'AuthorizationRequiredError';
  readonly scopes: readonly string[] | undefined;

  constructor(serverUrl: string, scopes: readonly string[] | undefined) {
    super(
      'ERR_AUTHORIZATION_REQUIRED',
      `${serverUrl} needs an authorization${scopes === undefined || scopes.length === 0 ? '' : ` (scopes: ${scopes.join(' ')})`}, and interactive authorization is turned off; sign in with an interactive client sharing this token store`,
      serverUrl,
    );
    this.scopes = scopes === undefined ? undefined : Object.freeze([...scopes]);
  }
}
