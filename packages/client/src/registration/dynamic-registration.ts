/**
 * OAuth 2.0 Dynamic Client Registration for an MCP client (RFC 7591 §3; OpenID Connect Dynamic
 * Client Registration 1.0 §2 `application_type`; MCP 2026-07-28 § Dynamic Client Registration,
 * where DCR is deprecated but still the fallback for servers without CIMD).
 */
import {
  type ClientMetadata,
  type ClientRegistrationResponse,
  invalidArgument,
  isLoopbackHostname,
  OAuthError,
  ProtocolError,
  validateClientRegistrationResponse,
} from '@gatehouse/core';
import { DEVICE_CODE_GRANT_TYPE } from '../authorize/device-authorization.js';
import { at, type ClientHttpOptions, readJson, resolveFetch, send, unexpectedStatus } from '../http.js';

const WHAT = 'client registration response';

/** Options of {@link dynamicClientMetadata}. */
export interface DynamicClientMetadataOptions {
  /** Required, at least one. Absolute URLs without fragment. */
  readonly redirectUris: readonly string[];
  /** Required. Shown to the user on the consent page. */
  readonly clientName: string;
  /** Default: `native` when every redirect URI is loopback or a private-use scheme, else `web`. */
  readonly applicationType?: 'native' | 'web';
  /**
   * Also register the device authorization grant (RFC 8628 §3.4,
   * `urn:ietf:params:oauth:grant-type:device_code`), for a client that may sign in on a machine
   * without a browser. Default `false`.
   */
  readonly deviceAuthorization?: boolean;
}

/**
 * Whether a redirect URI belongs to a native application (RFC 8252 §7): an http(s) URI on a loopback
 * host (§7.3) or a private-use URI scheme (§7.1).
 */
export function isNativeRedirectUri(uri: string): boolean {
  const url = URL.parse(uri);
  if (url === null) return false;
  if (url.protocol === 'http:' || url.protocol === 'https:') return isLoopbackHostname(url.hostname);
  return true;
}

/** Checks `redirectUris` (misuse → `TypeError`) and returns a frozen copy. */
export function checkRedirectUris(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument('"redirectUris" must be a non-empty array of URLs', 'ERR_INVALID_ARG_TYPE');
  }
  for (const uri of value) {
    if (typeof uri !== 'string' || !URL.canParse(uri) || uri.includes('#')) {
      throw invalidArgument('each of "redirectUris" must be an absolute URL without a fragment');
    }
  }
  return Object.freeze([...(value as string[])]);
}

/**
 * The client metadata an MCP client registers with (RFC 7591 §2): a public client
 * (`token_endpoint_auth_method: 'none'`) using the authorization code grant with refresh tokens
 * (`grant_types: ['authorization_code', 'refresh_token']`, MCP 2026-07-28 § Refresh Tokens: SHOULD),
 * `response_types: ['code']`, `client_name`, and `application_type` (MCP 2026-07-28: MUST be sent;
 * `native` for loopback redirects); with `deviceAuthorization`, the device code grant (RFC 8628) is
 * added to `grant_types`. Misuse → `TypeError`.
 *
 * @example
 * dynamicClientMetadata({ redirectUris: ['http://127.0.0.1:8765/callback'], clientName: 'My agent' });
 * // { application_type: 'native', redirect_uris: [...], token_endpoint_auth_method: 'none', ... }
 */
export function dynamicClientMetadata(options: DynamicClientMetadataOptions): Readonly<ClientMetadata> {
  const redirectUris = checkRedirectUris(options?.redirectUris);
  if (typeof options.clientName !== 'string' || options.clientName.trim() === '') {
    throw invalidArgument(
      '"clientName" is required: it is shown to the user on the consent page',
      'ERR_MISSING_OPTION',
    );
  }
  const { applicationType } = options;
  if (applicationType !== undefined && applicationType !== 'native' && applicationType !== 'web') {
    throw invalidArgument('"applicationType" must be "native" or "web"');
  }
  const { deviceAuthorization = false } = options;
  if (typeof deviceAuthorization !== 'boolean') {
    throw invalidArgument('"deviceAuthorization" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  return Object.freeze({
    application_type: applicationType ?? (redirectUris.every(isNativeRedirectUri) ? 'native' : 'web'),
    client_name: options.clientName,
    redirect_uris: redirectUris,
    grant_types: Object.freeze([
      'authorization_code',
      'refresh_token',
      ...(deviceAuthorization ? [DEVICE_CODE_GRANT_TYPE] : []),
    ]),
    response_types: Object.freeze(['code']),
    token_endpoint_auth_method: 'none',
  });
}

/** Options of {@link registrationRequest}. */
export interface RegistrationRequestOptions extends ClientHttpOptions {
  /** RFC 7591 §3 initial access token, sent as `Authorization: Bearer`. Secret. Default: none. */
  readonly initialAccessToken?: string;
}

/**
 * POSTs client metadata as JSON to a registration endpoint (RFC 7591 §3.1) and returns the raw
 * `Response`, whatever its status. The endpoint comes from the authorization server's metadata, so
 * the default fetch is `safeFetch`.
 *
 * A network failure rejects with a `ProtocolError` naming the URL. Does NOT check the response.
 *
 * @example
 * const response = await registrationRequest(metadata.registration_endpoint, dynamicClientMetadata(o));
 * const registered = await processRegistrationResponse(response, { redirectUris: o.redirectUris });
 */
export function registrationRequest(
  registrationEndpoint: string,
  clientMetadata: Readonly<ClientMetadata>,
  options: RegistrationRequestOptions = {},
): Promise<Response> {
  const fetchFn = resolveFetch(options);
  if (typeof registrationEndpoint !== 'string') {
    throw invalidArgument('"registrationEndpoint" must be a URL string', 'ERR_INVALID_ARG_TYPE');
  }
  if (typeof clientMetadata !== 'object' || clientMetadata === null) {
    throw invalidArgument('"clientMetadata" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const token = options.initialAccessToken;
  if (token !== undefined) {
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
      throw invalidArgument('"initialAccessToken" must be a non-empty string of visible ASCII characters');
    }
    headers.authorization = `Bearer ${token}`;
  }
  return send(
    fetchFn,
    registrationEndpoint,
    { method: 'POST', headers, body: JSON.stringify(clientMetadata) },
    'client registration endpoint',
    options.signal,
  );
}

/** What {@link processRegistrationResponse} checks the registration against. */
export interface RegistrationResponseExpectations {
  /**
   * Required. The redirect URIs the client will use: each must be among the registered
   * `redirect_uris` when the server returns them (RFC 7591 §3.2.1: the server may change metadata).
   */
  readonly redirectUris: readonly string[];
}

/** RFC 6749 §5.2 characters of `error` and `error_description`: %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The OAuth error of an error response body (RFC 7591 §3.2.2, RFC 6749 §5.2), or `undefined` when
 * the body is not one. `error_description` is kept only when it uses the RFC 6749 §5.2 characters
 * and is at most 300 long (it is the server's text, shown in the message).
 */
function oauthErrorFrom(body: unknown, status: number): OAuthError | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, error_description: description } = body as Record<string, unknown>;
  if (typeof error !== 'string' || error === '' || error.length > 64 || !ERROR_TEXT.test(error)) {
    return undefined;
  }
  const usable = typeof description === 'string' && description.length <= 300 && ERROR_TEXT.test(description);
  return new OAuthError(error, status, usable ? { description } : {});
}

/**
 * RFC 7591 §3.2.1 requires `client_secret_expires_at` whenever a `client_secret` is issued, but many
 * servers omit it (the MCP conformance suite's authorization servers among them). Its absence is
 * read as `0`, "does not expire": the secret is used until the server refuses it.
 */
function withSecretExpiryDefault(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  if (!('client_secret' in body) || 'client_secret_expires_at' in body) return body;
  return { ...body, client_secret_expires_at: 0 };
}

/**
 * Validates a registration response: 201 (or 200, which some servers send) with a JSON body that
 * passes core's `validateClientRegistrationResponse`, whose `redirect_uris`, when present, include
 * every expected redirect URI. Returns the frozen response (it contains secrets: do not log it).
 * A `client_secret` without `client_secret_expires_at` is accepted as one that does not expire (`0`).
 *
 * An error answer (RFC 7591 §3.2.2: `{ "error": "invalid_redirect_uri", … }`, also for 401/403 with an
 * initial access token) rejects with an `OAuthError` carrying the server's `error` code and HTTP
 * status (`instanceof InvalidRequest` etc. match by code). Other failures are `ProtocolError`s:
 * `ERR_INVALID_RESPONSE` (status, not JSON), `ERR_INVALID_METADATA` (a bad field),
 * `ERR_UNEXPECTED_VALUE` with attribute `redirect_uris`. Messages never contain `client_secret` or
 * `registration_access_token`.
 *
 * Does NOT compare other registered fields with the request (grant types, auth method): the record
 * built from the response reflects what the server decided.
 */
export async function processRegistrationResponse(
  response: Response,
  expectations: RegistrationResponseExpectations,
): Promise<Readonly<ClientRegistrationResponse>> {
  const wanted = checkRedirectUris(expectations?.redirectUris);
  if (response.status !== 201 && response.status !== 200) {
    const body = await readJson(response, WHAT).catch(() => undefined);
    const error = oauthErrorFrom(body, response.status);
    if (error !== undefined && response.status >= 400 && response.status < 500) throw error;
    throw unexpectedStatus(WHAT, response, '201 Created (RFC 7591 §3.2.1)');
  }
  const registration = validateClientRegistrationResponse(
    withSecretExpiryDefault(await readJson(response, WHAT)),
  );
  const registered = registration.redirect_uris;
  if (registered !== undefined) {
    const missing = wanted.filter((uri) => !registered.includes(uri));
    if (missing.length > 0) {
      throw new ProtocolError(
        'ERR_UNEXPECTED_VALUE',
        `"redirect_uris" in the ${WHAT}${at(response)} does not include every redirect URI the client asked for`,
        { attribute: 'redirect_uris', expected: wanted, actual: registered.slice(0, 10) },
      );
    }
  }
  return registration;
}
