/**
 * The JWT authorization grant (RFC 7523 §2.1, RFC 7521 §4.1): `grant_type`
 * `urn:ietf:params:oauth:grant-type:jwt-bearer` with a JWT as `assertion`. In MCP it is step 2 of
 * enterprise-managed authorization (ext-auth § 5; draft-ietf-oauth-identity-assertion-authz-grant
 * § 4.4): the ID-JAG from the identity provider is presented to the MCP server's authorization
 * server, which answers with an ordinary token response (`processTokenResponse`).
 */
import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { invalidArgument } from '@gatehouse/core';
import type { TokenEndpointClient } from './client-authentication.js';
import {
  requireString,
  requireUrl,
  scopeParameter,
  type TokenRequestOptions,
  tokenRequest,
} from './token-request.js';

/** RFC 7523 §2.1 `grant_type`. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Parameters of {@link jwtBearerGrantRequest}. Each default is stated on its field. */
export interface JwtBearerGrant {
  /** Required. The JWT authorization grant, e.g. the ID-JAG of `processIdJagResponse`. Secret. */
  readonly assertion: string;
  /**
   * The MCP server's canonical URI, sent as `resource` (RFC 8707 §2.2; MCP asks for it on every
   * token request). Default: not sent (the ID-JAG's `resource` claim names the server).
   */
  readonly resource?: string;
  /** Default: not sent (the scopes of the assertion). */
  readonly scope?: readonly string[];
}

/**
 * Requests an access token with a JWT authorization grant (RFC 7523 §2.1) at the authorization
 * server's token endpoint, authenticated as `client` (its registration at that server:
 * pre-registered secret, `private_key_jwt` key, or a public CIMD client id). Returns the raw
 * `Response` for `processTokenResponse`.
 *
 * Misuse → `TypeError`; a non-https token endpoint (http allowed on loopback) → `ProtocolError`.
 * Does NOT check the assertion (it is opaque to the client) or that the server advertises the
 * grant type in `grant_types_supported`.
 *
 * @example
 * const response = await jwtBearerGrantRequest(metadata, { clientId, clientSecret },
 *   { assertion: grant.assertion, resource: discovery.resource });
 * const tokens = await processTokenResponse(response, { expectedResource: discovery.resource });
 */
export function jwtBearerGrantRequest(
  metadata: Readonly<AuthorizationServerMetadata>,
  client: TokenEndpointClient,
  grant: JwtBearerGrant,
  options?: TokenRequestOptions,
): Promise<Response> {
  if (typeof grant !== 'object' || grant === null) {
    throw invalidArgument('"grant" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const body = new URLSearchParams({
    grant_type: JWT_BEARER_GRANT_TYPE,
    assertion: requireString(grant.assertion, 'assertion'),
  });
  if (grant.resource !== undefined) body.set('resource', requireUrl(grant.resource, 'resource'));
  const scope = scopeParameter(grant.scope);
  if (scope !== undefined) body.set('scope', scope);
  return tokenRequest(metadata, client, body, options);
}
