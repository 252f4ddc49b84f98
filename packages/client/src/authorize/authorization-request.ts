/**
 * The authorization request of the authorization code flow (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1) as
 * an MCP client sends it: PKCE `S256` (RFC 7636 §4.3), `state` (RFC 6749 §10.12), `resource`
 * (RFC 8707 §2; MCP 2025-06-18+ MUST, always), and the MCP scope selection strategy (MCP 2025-11-25
 * and 2026-07-28 § Scope Selection Strategy; § Refresh Tokens for `offline_access`, with
 * `prompt=consent` as OpenID Connect Core 1.0 §11 requires of a request for it).
 */
import { randomBytes } from 'node:crypto';
import { type AuthorizationServerMetadata, invalidArgument, ProtocolError } from '@gatehouse/core';
import { describeUrl, isSecureUrl } from '../http.js';

/** Options of {@link buildAuthorizationUrl}. Each default is stated on its field. */
export interface AuthorizationUrlOptions {
  /** Required. The authorization server's validated metadata (from discovery). */
  readonly metadata: Readonly<AuthorizationServerMetadata>;
  /** Required. */
  readonly clientId: string;
  /** Required. Registered with the authorization server (a loopback listener's `redirectUri`). */
  readonly redirectUri: string;
  /**
   * The scopes to ask for, usually the `scope` of the server's challenge (authoritative for the
   * current operation), or the union of held and challenged scopes on step-up. Default: none, see
   * {@link selectScopes}.
   */
  readonly scope?: readonly string[];
  /**
   * The Protected Resource Metadata's `scopes_supported`: used when `scope` is absent or empty.
   * Default: none (then `scope` is omitted).
   */
  readonly resourceScopesSupported?: readonly string[];
  /** Required. The MCP server's canonical URI (discovery's `resource`), sent as `resource`. */
  readonly resource: string;
  /** Required. From {@link generateState}. */
  readonly state: string;
  /** Required. The `S256` challenge of the request's verifier (`codeChallengeS256`). */
  readonly codeChallenge: string;
}

/**
 * A fresh `state` (RFC 6749 §10.12): 32 bytes from the CSPRNG, base64url (43 characters). Keep it
 * with the code verifier and the expected issuer; compare it on the callback.
 */
export function generateState(): string {
  return randomBytes(32).toString('base64url');
}

/** Options of {@link selectScopes}. */
export interface ScopeSelection {
  readonly scope?: readonly string[] | undefined;
  readonly resourceScopesSupported?: readonly string[] | undefined;
  readonly metadata: Readonly<AuthorizationServerMetadata>;
}

/**
 * The scopes of an authorization request, per MCP § Scope Selection Strategy:
 *
 * 1. `scope` (the challenge's scopes) when it has any;
 * 2. else every scope of the Protected Resource Metadata's `scopes_supported`;
 * 3. else `undefined`: the request carries no `scope` (the server applies its default).
 *
 * Then `offline_access` is added when the authorization server lists it in its own
 * `scopes_supported` (MCP 2026-07-28 § Refresh Tokens: MAY), unless the result is `undefined`: a
 * request for `offline_access` alone would narrow the server's default to nothing but a refresh
 * token. Duplicates are removed, order kept. Does NOT assume any relation between the lists (MCP
 * 2026-07-28: MUST NOT).
 *
 * @example
 * selectScopes({ scope: ['mcp:tools'], metadata }); // ['mcp:tools', 'offline_access'] when the AS lists it
 */
export function selectScopes(selection: ScopeSelection): string[] | undefined {
  const chosen =
    selection.scope !== undefined && selection.scope.length > 0
      ? selection.scope
      : selection.resourceScopesSupported !== undefined && selection.resourceScopesSupported.length > 0
        ? selection.resourceScopesSupported
        : undefined;
  if (chosen === undefined) return undefined;
  const scopes = new Set(chosen);
  if (selection.metadata.scopes_supported?.includes('offline_access')) scopes.add('offline_access');
  return [...scopes];
}

/**
 * Whether an authorization request for `scopes` carries `prompt=consent`: when it asks for
 * `offline_access`. OpenID Connect Core 1.0 §11: "When offline access is requested, a prompt
 * parameter value of consent MUST be used unless other conditions for processing the request
 * permitting offline access to the requested resources are in place"; OpenID providers (node
 * oidc-provider among them) drop `offline_access` from a request without it, and then issue no
 * refresh token or one that ends with the browser session. `offline_access` is only ever added for
 * an authorization server that lists it (`selectScopes`), i.e. one following that convention.
 *
 * The cost: such a server shows its consent page at every interactive authorization, even for
 * scopes granted before. An MCP client authorizes interactively only when it holds no usable
 * refresh token, and the refresh token this buys is what spares the user later prompts.
 *
 * Not sent when the server's metadata has a `prompt_values_supported` list (OpenID Connect
 * "Initiating User Registration via OpenID Connect 1.0", discovery metadata) without `consent`.
 */
export function needsConsentPrompt(
  scopes: readonly string[] | undefined,
  metadata: Readonly<AuthorizationServerMetadata>,
): boolean {
  if (scopes === undefined || !scopes.includes('offline_access')) return false;
  const values = metadata.prompt_values_supported;
  return !Array.isArray(values) || values.includes('consent');
}

/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument(`"${name}" is required and must be a non-empty string`, 'ERR_MISSING_OPTION');
  }
  return value;
}

function checkScopes(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw invalidArgument(`"${name}" must be an array of RFC 6749 §3.3 scope tokens`);
  }
  return value as string[];
}

/**
 * The authorization endpoint as a parsed URL: present, `https`, or `http` on a loopback host
 * (development); nothing else is ever opened in a browser (MCP Security Best Practices 2026: only
 * http(s) authorization URLs, http only for loopback development). No userinfo, no fragment.
 */
export function authorizationEndpointUrl(metadata: Readonly<AuthorizationServerMetadata>): URL {
  const endpoint = metadata.authorization_endpoint;
  if (endpoint === undefined) {
    throw new ProtocolError(
      'ERR_MISSING_ATTRIBUTE',
      '"authorization_endpoint" is missing from the authorization server metadata: the authorization code flow is impossible',
      { attribute: 'authorization_endpoint', expected: 'an https URL', actual: undefined },
    );
  }
  const url = URL.parse(endpoint);
  if (!isSecureUrl(url) || url.hash !== '') {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      `"authorization_endpoint" in the authorization server metadata (${describeUrl(endpoint)}) is not an https URL (http is allowed only on loopback), so it is not opened`,
      { attribute: 'authorization_endpoint', expected: 'an https URL without userinfo or fragment' },
    );
  }
  return url;
}

/**
 * Builds the URL the user's browser is sent to (RFC 6749 §4.1.1): the metadata's
 * `authorization_endpoint` (its own query kept, RFC 6749 §3.1) with `response_type=code`,
 * `client_id`, `redirect_uri`, `scope` ({@link selectScopes}), `state`, `code_challenge`,
 * `code_challenge_method=S256`, `resource`, and `prompt=consent` when `scope` has `offline_access`
 * ({@link needsConsentPrompt}).
 *
 * Misuse (a missing option, a bad scope token, a `resource` or `redirectUri` that is not an
 * absolute URL without fragment) is a `TypeError`. An endpoint that is missing or not
 * https/loopback-http is a `ProtocolError` ({@link authorizationEndpointUrl}).
 *
 * Does NOT check that `redirectUri` is registered, that the server supports `resource`, or that the
 * challenge belongs to this client's verifier.
 *
 * @example
 * const url = buildAuthorizationUrl({ metadata, clientId, redirectUri: listener.redirectUri,
 *   scope: discovery.challengedScopes, resource: discovery.resource, state, codeChallenge });
 */
export function buildAuthorizationUrl(options: AuthorizationUrlOptions): URL {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const clientId = requireString(options.clientId, 'clientId');
  const state = requireString(options.state, 'state');
  const codeChallenge = requireString(options.codeChallenge, 'codeChallenge');
  const redirectUri = requireString(options.redirectUri, 'redirectUri');
  const resource = requireString(options.resource, 'resource');
  for (const [name, value] of [
    ['redirectUri', redirectUri],
    ['resource', resource],
  ] as const) {
    if (!URL.canParse(value) || value.includes('#')) {
      throw invalidArgument(`"${name}" must be an absolute URL without a fragment`);
    }
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
    throw invalidArgument('"codeChallenge" must be an S256 code challenge (43 base64url characters)');
  }
  if (typeof options.metadata !== 'object' || options.metadata === null) {
    throw invalidArgument('"metadata" is required: the authorization server metadata', 'ERR_MISSING_OPTION');
  }
  const scopes = selectScopes({
    scope: checkScopes(options.scope, 'scope'),
    resourceScopesSupported: checkScopes(options.resourceScopesSupported, 'resourceScopesSupported'),
    metadata: options.metadata,
  });
  const url = authorizationEndpointUrl(options.metadata);
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', clientId);
  params.set('redirect_uri', redirectUri);
  if (scopes !== undefined) params.set('scope', scopes.join(' '));
  if (needsConsentPrompt(scopes, options.metadata)) params.set('prompt', 'consent');
  params.set('state', state);
  params.set('code_challenge', codeChallenge);
  params.set('code_challenge_method', 'S256');
  params.set('resource', resource);
  return url;
}
