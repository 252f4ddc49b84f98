/**
 * Enterprise-managed authorization (MCP extension, ext-auth "Enterprise-Managed Authorization";
 * SEP-990; draft-ietf-oauth-identity-assertion-authz-grant), end to end and without any user
 * interaction:
 *
 * ```
 * ID token (from single sign-on) ─▶ identity provider: RFC 8693 token exchange ─▶ ID-JAG
 *   ─▶ MCP authorization server: RFC 7523 jwt-bearer grant ─▶ access token for the MCP server
 * ```
 */
import { invalidArgument } from '@gatehouse/core';
import type { Discovery } from '../discovery/discover.js';
import { type ClientHttpOptions, rejectUnknownOptions, resolveFetch } from '../http.js';
import type { TokenEndpointClient, TokenEndpointMetadata } from './client-authentication.js';
import { idJagTokenExchangeRequest, processIdJagResponse } from './id-jag-token-exchange.js';
import { jwtBearerGrantRequest } from './jwt-bearer-grant.js';
import { processTokenResponse, type TokenSet } from './token-response.js';

/** Options of {@link authorizeWithIdJag}. Each default is stated on its field. */
export interface IdJagAuthorizationOptions extends ClientHttpOptions {
  /** Required. The result of `discover()` for the MCP server: its resource and authorization server. */
  readonly discovery: Discovery;
  /**
   * Required. The client's registration at the MCP server's authorization server (pre-registered
   * secret, `privateKey` for `private_key_jwt`, or a CIMD client id). Secret.
   */
  readonly client: TokenEndpointClient;
  /**
   * Required. The enterprise identity provider: its metadata (only `issuer`, `token_endpoint` and
   * `token_endpoint_auth_methods_supported` are used) and the client's registration there.
   */
  readonly identityProvider: {
    readonly metadata: Readonly<TokenEndpointMetadata>;
    readonly client: TokenEndpointClient;
  };
  /** Required. The user's ID token from single sign-on at that identity provider. Secret. */
  readonly idToken: string;
  /** The scopes to ask for, at both steps. Default: not sent (the policies' defaults). */
  readonly scope?: readonly string[];
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'fetch',
  'policy',
  'signal',
  'discovery',
  'client',
  'identityProvider',
  'idToken',
  'scope',
]);

/**
 * Obtains an access token for the MCP server of `discovery` with enterprise-managed authorization:
 *
 * 1. {@link idJagTokenExchangeRequest} at the identity provider: `subject_token` = `idToken`,
 *    `audience` = the MCP authorization server's issuer, `resource` = the MCP server's canonical URI,
 *    `scope`; checked by {@link processIdJagResponse};
 * 2. {@link jwtBearerGrantRequest} at the MCP authorization server with the ID-JAG as `assertion`,
 *    plus `resource` and `scope`; checked by `processTokenResponse` (`expectedResource`).
 *
 * Rejects with the step's error: an `OAuthError` from either token endpoint (e.g. `invalid_grant`
 * when the identity provider's policy refuses, `invalid_client`), a `ProtocolError` for an unusable
 * answer; misuse is a `TypeError`. No message contains a token.
 *
 * Does NOT sign the user in (bring the ID token from your OpenID Connect login), store tokens, or
 * renew them: when the access token expires, call it again (a new ID-JAG is cheap and needs no user).
 *
 * @example
 * const discovery = await discover(mcpUrl);
 * const tokens = await authorizeWithIdJag({
 *   discovery,
 *   client: { clientId: 'my-mcp-client', clientSecret },
 *   identityProvider: { metadata: idpMetadata, client: { clientId: 'my-sso-client', clientSecret: ssoSecret } },
 *   idToken,
 * });
 */
export async function authorizeWithIdJag(options: IdJagAuthorizationOptions): Promise<Readonly<TokenSet>> {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options of authorizeWithIdJag() must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'authorizeWithIdJag()');
  const { discovery, client, identityProvider, idToken, scope, fetch, policy, signal } = options;
  if (
    typeof discovery?.resource !== 'string' ||
    typeof discovery.authorizationServer?.metadata !== 'object'
  ) {
    throw invalidArgument('"discovery" is required: the result of discover()', 'ERR_MISSING_OPTION');
  }
  if (typeof identityProvider !== 'object' || identityProvider === null) {
    throw invalidArgument(
      '"identityProvider" is required: { metadata, client } of the enterprise identity provider',
      'ERR_MISSING_OPTION',
    );
  }
  const http: ClientHttpOptions = {
    ...(fetch === undefined ? {} : { fetch }),
    ...(policy === undefined ? {} : { policy }),
    ...(signal === undefined ? {} : { signal }),
  };
  resolveFetch(http);
  const { resource, authorizationServer } = discovery;

  const exchange = await idJagTokenExchangeRequest(
    identityProvider.metadata,
    identityProvider.client,
    {
      subjectToken: idToken,
      audience: authorizationServer.issuer,
      resource,
      ...(scope === undefined ? {} : { scope }),
    },
    http,
  );
  const grant = await processIdJagResponse(exchange);

  const response = await jwtBearerGrantRequest(
    authorizationServer.metadata,
    client,
    { assertion: grant.assertion, resource, ...(scope === undefined ? {} : { scope }) },
    http,
  );
  return processTokenResponse(response, { expectedResource: resource });
}
