/**
 * From a validated Client ID Metadata Document to the client metadata oidc-provider builds its
 * client from (RFC 7591 §2 names), under the MCP profile: authorization code (+ refresh token)
 * only, `response_types: ['code']`, public (`none`) or `private_key_jwt` (CIMD draft §6.2).
 */
import { type ClientIdMetadataDocument, isLoopbackHostname, ProtocolError } from '@gatehouse/core';

/** The grants a CIMD client may use here. */
const CIMD_GRANT_TYPES = ['authorization_code', 'refresh_token'];

/** Whether every redirect URI is https (a web client); otherwise it is native (loopback http, app schemes). */
function isWebOnly(redirectUris: readonly string[]): boolean {
  return redirectUris.every((uri) => {
    const url = URL.parse(uri);
    return url !== null && url.protocol === 'https:' && !isLoopbackHostname(url.hostname);
  });
}

function authMethod(document: Readonly<ClientIdMetadataDocument>): 'none' | 'private_key_jwt' {
  if (document.token_endpoint_auth_method !== undefined) {
    return document.token_endpoint_auth_method === 'private_key_jwt' ? 'private_key_jwt' : 'none';
  }
  // SEP-3149's plural form: prefer the method that authenticates the client.
  return document.token_endpoint_auth_methods_supported?.includes('private_key_jwt') === true
    ? 'private_key_jwt'
    : 'none';
}

/**
 * Builds the oidc-provider client metadata of a CIMD client:
 * - `client_id`, `client_name`, `redirect_uris` from the document;
 * - `grant_types`: the document's, limited to `authorization_code` and `refresh_token` (default
 *   both); `authorization_code` is required;
 * - `response_types: ['code']`;
 * - `token_endpoint_auth_method`: `private_key_jwt` (with the document's `jwks` or `jwks_uri` and
 *   `token_endpoint_auth_signing_alg`) or `none`;
 * - `application_type`: the document's when `web` or `native`, else `native` when a redirect URI
 *   is not https on a public host (loopback, app scheme), else `web`.
 *
 * Other document fields (logos, URIs, scope, contacts) are left out. It does NOT check the redirect
 * URIs further: the provider and Gatehouse's registration rules do that when the client is built.
 *
 * @throws {ProtocolError} `ERR_INVALID_METADATA` (attribute `grant_types`) when the document's
 *   grant types do not include `authorization_code`.
 */
export function toClientMetadata(document: Readonly<ClientIdMetadataDocument>): Record<string, unknown> {
  const grantTypes =
    document.grant_types === undefined
      ? [...CIMD_GRANT_TYPES]
      : CIMD_GRANT_TYPES.filter((grant) => document.grant_types?.includes(grant));
  if (!grantTypes.includes('authorization_code')) {
    throw new ProtocolError('ERR_INVALID_METADATA', 'a CIMD client must use the authorization_code grant', {
      attribute: 'grant_types',
      expected: 'a list including "authorization_code"',
    });
  }
  const method = authMethod(document);
  const metadata: Record<string, unknown> = {
    client_id: document.client_id,
    client_name: document.client_name,
    redirect_uris: [...document.redirect_uris],
    grant_types: grantTypes,
    response_types: ['code'],
    token_endpoint_auth_method: method,
    application_type:
      document.application_type === 'web' || document.application_type === 'native'
        ? document.application_type
        : isWebOnly(document.redirect_uris)
          ? 'web'
          : 'native',
  };
  if (method === 'private_key_jwt') {
    if (document.jwks !== undefined) metadata.jwks = document.jwks;
    else metadata.jwks_uri = document.jwks_uri;
    if (typeof document.token_endpoint_auth_signing_alg === 'string') {
      metadata.token_endpoint_auth_signing_alg = document.token_endpoint_auth_signing_alg;
    }
  }
  return metadata;
}
