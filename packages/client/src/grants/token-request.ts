/**
 * Token endpoint requests (RFC 6749 §3.2, OAuth 2.1 §3.2) of an MCP client, each returning the raw
 * `Response` for `processTokenResponse`:
 *
 * | grant | body | spec |
 * | --- | --- | --- |
 * | `authorization_code` | `code`, `redirect_uri`, `code_verifier`, `resource` | RFC 6749 §4.1.3, RFC 7636 §4.5, RFC 8707 §2.2 |
 * | `refresh_token` | `refresh_token`, `resource`, `scope` when given | RFC 6749 §6, RFC 8707 §2.2 |
 * | `client_credentials` | `resource`, `scope` when given | RFC 6749 §4.4, MCP extension `io.modelcontextprotocol/oauth-client-credentials` |
 *
 * `resource` (the MCP server's canonical URI) is always sent (MCP 2025-06-18+ MUST, requirements
 * §2.4), and client authentication is added per `client-authentication.ts`.
 */
import { type AuthorizationServerMetadata, invalidArgument, ProtocolError } from '@gatehouse/core';
import type { DpopSession } from '../dpop/dpop-proof.js';
import { type ClientHttpOptions, describeUrl, isSecureUrl, resolveFetch } from '../http.js';
import { postAuthenticatedForm } from './authenticated-form-post.js';
import type { TokenEndpointClient, TokenEndpointMetadata } from './client-authentication.js';

/** {@link ClientHttpOptions} of a token request, plus DPoP. Each default is stated on its field. */
export interface TokenRequestOptions extends ClientHttpOptions {
  /**
   * Prove possession of this key (RFC 9449 §5): a fresh `DPoP` proof header on the request; when
   * the server answers `use_dpop_nonce` (§8) the request is sent once more with its nonce (and a new
   * client assertion). The server then binds the tokens to the key (`token_type` `DPoP`). Default:
   * none (bearer tokens).
   */
  readonly dpop?: DpopSession;
}

/** Parameters of {@link authorizationCodeGrantRequest}. All required. Secrets: `code`, `codeVerifier`. */
export interface AuthorizationCodeGrant {
  /** From `processAuthorizationCallback`. */
  readonly code: string;
  /** The verifier whose challenge went into the authorization request. */
  readonly codeVerifier: string;
  /** The exact `redirect_uri` of the authorization request. */
  readonly redirectUri: string;
  /** The MCP server's canonical URI, as in the authorization request. */
  readonly resource: string;
}

/** Parameters of {@link refreshTokenGrantRequest}. */
export interface RefreshTokenGrant {
  /** Required. Secret. */
  readonly refreshToken: string;
  /** Required. The MCP server's canonical URI. */
  readonly resource: string;
  /**
   * Re-sent as `scope` when given: some providers require it on refresh, and it may narrow the
   * grant (RFC 6749 §6). Default: not sent (the original grant's scope).
   */
  readonly scope?: readonly string[];
}

/** Parameters of {@link clientCredentialsGrantRequest}. */
export interface ClientCredentialsGrant {
  /** Required. The MCP server's canonical URI. */
  readonly resource: string;
  /** Default: not sent (the server's default for the client). */
  readonly scope?: readonly string[];
}

/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A required non-empty string option (misuse: `TypeError` `ERR_MISSING_OPTION`). */
export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument(`"${name}" is required and must be a non-empty string`, 'ERR_MISSING_OPTION');
  }
  return value;
}

/** A required absolute URL without fragment (misuse: `TypeError`). */
export function requireUrl(value: unknown, name: string): string {
  const text = requireString(value, name);
  if (!URL.canParse(text) || text.includes('#')) {
    throw invalidArgument(`"${name}" must be an absolute URL without a fragment`);
  }
  return text;
}

/** The `scope` parameter of a list of RFC 6749 §3.3 scope tokens, or `undefined` when not given. */
export function scopeParameter(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))
  ) {
    throw invalidArgument('"scope" must be a non-empty array of RFC 6749 §3.3 scope tokens');
  }
  return [...new Set(value as string[])].join(' ');
}

/**
 * The token endpoint from the metadata: `https`, or `http` on loopback (development). Credentials
 * and codes are never sent anywhere else, whatever fetch is used.
 */
function tokenEndpoint(metadata: Readonly<TokenEndpointMetadata>): string {
  if (typeof metadata !== 'object' || metadata === null) {
    throw invalidArgument('"metadata" is required: the authorization server metadata', 'ERR_MISSING_OPTION');
  }
  const endpoint = metadata.token_endpoint;
  const url = typeof endpoint === 'string' ? URL.parse(endpoint) : null;
  if (!isSecureUrl(url)) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      `"token_endpoint" in the authorization server metadata${typeof endpoint === 'string' ? ` (${describeUrl(endpoint)})` : ''} is not an https URL (http is allowed only on loopback)`,
      { attribute: 'token_endpoint', expected: 'an https URL' },
    );
  }
  return endpoint as string;
}

/**
 * Checks everything synchronously (misuse throws at the call), then authenticates and sends. Shared
 * by every grant of the client (`id-jag-token-exchange.ts`, `jwt-bearer-grant.ts` too); not part of
 * the public API.
 */
export function tokenRequest(
  metadata: Readonly<TokenEndpointMetadata>,
  client: TokenEndpointClient,
  body: URLSearchParams,
  options: TokenRequestOptions | undefined,
): Promise<Response> {
  const fetchFn = resolveFetch(options);
  const dpop = options?.dpop;
  if (dpop !== undefined && typeof dpop?.proof !== 'function') {
    throw invalidArgument('"dpop" must be a DPoP session (createDpopSession)', 'ERR_INVALID_ARG_TYPE');
  }
  const url = tokenEndpoint(metadata);
  const form = { client, metadata, body, acceptJson: true, dpop };
  return postAuthenticatedForm(fetchFn, url, 'token endpoint', form, options?.signal);
}

/**
 * Redeems an authorization code (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5) and the
 * `resource` (RFC 8707 §2.2). Call it only after `processAuthorizationCallback` accepted the
 * response (`state` and `iss` verified). Returns the raw `Response`.
 *
 * Misuse → `TypeError`; a token endpoint that is not https (http on loopback) → `ProtocolError`;
 * a network failure → `ProtocolError` naming the URL. Does NOT check the response.
 *
 * @example
 * const response = await authorizationCodeGrantRequest(metadata, registration,
 *   { code, codeVerifier, redirectUri, resource });
 * const tokens = await processTokenResponse(response);
 */
export function authorizationCodeGrantRequest(
  metadata: Readonly<AuthorizationServerMetadata>,
  client: TokenEndpointClient,
  grant: AuthorizationCodeGrant,
  options?: TokenRequestOptions,
): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: requireString(grant?.code, 'code'),
    redirect_uri: requireUrl(grant.redirectUri, 'redirectUri'),
    code_verifier: requireString(grant.codeVerifier, 'codeVerifier'),
    resource: requireUrl(grant.resource, 'resource'),
  });
  return tokenRequest(metadata, client, body, options);
}

/**
 * Refreshes an access token (RFC 6749 §6) for `resource` (RFC 8707 §2.2), re-sending `scope` when
 * given. The server may rotate the refresh token (OAuth 2.1 §4.3.1): keep the new one from the
 * response, and never redeem the old one again. Returns the raw `Response`.
 *
 * @example
 * const response = await refreshTokenGrantRequest(metadata, registration, { refreshToken, resource });
 */
export function refreshTokenGrantRequest(
  metadata: Readonly<AuthorizationServerMetadata>,
  client: TokenEndpointClient,
  grant: RefreshTokenGrant,
  options?: TokenRequestOptions,
): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: requireString(grant?.refreshToken, 'refreshToken'),
    resource: requireUrl(grant.resource, 'resource'),
  });
  const scope = scopeParameter(grant.scope);
  if (scope !== undefined) body.set('scope', scope);
  return tokenRequest(metadata, client, body, options);
}

/**
 * Requests a token for the client itself (RFC 6749 §4.4), for machine-to-machine MCP clients. The
 * client must be confidential (`client_secret_basic`, `client_secret_post` or `private_key_jwt`):
 * a client without a secret or key is a `TypeError`. Returns the raw `Response`.
 *
 * @example
 * const response = await clientCredentialsGrantRequest(metadata,
 *   { clientId, privateKey: { pem, alg: 'ES256' } }, { resource, scope: ['mcp:tools'] });
 */
export function clientCredentialsGrantRequest(
  metadata: Readonly<AuthorizationServerMetadata>,
  client: TokenEndpointClient,
  grant: ClientCredentialsGrant,
  options?: TokenRequestOptions,
): Promise<Response> {
  if (client?.clientSecret === undefined && client?.privateKey === undefined) {
    throw invalidArgument(
      'the client_credentials grant needs a confidential client: pass "clientSecret" or "privateKey"',
      'ERR_MISSING_OPTION',
    );
  }
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: requireUrl(grant?.resource, 'resource'),
  });
  const scope = scopeParameter(grant.scope);
  if (scope !== undefined) body.set('scope', scope);
  return tokenRequest(metadata, client, body, options);
}
