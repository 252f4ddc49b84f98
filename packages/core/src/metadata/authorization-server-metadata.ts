/**
 * OAuth 2.0 Authorization Server Metadata (RFC 8414 §2), with the OpenID Connect Discovery 1.0 §3
 * fields and the extension fields MCP clients use.
 */

import { invalidArgument } from '../errors.js';
import {
  assemble,
  expectObject,
  optionalBoolean,
  optionalStringArray,
  optionalUrl,
  requiredStringArray,
  requiredUrl,
  unexpectedValue,
} from './validate.js';

/**
 * Authorization server metadata, wire names verbatim. Unknown fields are kept as received.
 */
export interface AuthorizationServerMetadata {
  /** The issuer identifier (RFC 8414 §2): https, no query, no fragment. */
  readonly issuer: string;
  /** Absent when no grant type uses it (e.g. a client_credentials-only server). */
  readonly authorization_endpoint?: string;
  readonly token_endpoint: string;
  readonly jwks_uri?: string;
  /** RFC 7591 dynamic client registration. */
  readonly registration_endpoint?: string;
  readonly scopes_supported?: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly response_modes_supported?: readonly string[];
  readonly grant_types_supported?: readonly string[];
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly token_endpoint_auth_signing_alg_values_supported?: readonly string[];
  readonly service_documentation?: string;
  readonly ui_locales_supported?: readonly string[];
  readonly op_policy_uri?: string;
  readonly op_tos_uri?: string;
  /** RFC 7009. */
  readonly revocation_endpoint?: string;
  readonly revocation_endpoint_auth_methods_supported?: readonly string[];
  readonly revocation_endpoint_auth_signing_alg_values_supported?: readonly string[];
  /** RFC 7662. */
  readonly introspection_endpoint?: string;
  readonly introspection_endpoint_auth_methods_supported?: readonly string[];
  readonly introspection_endpoint_auth_signing_alg_values_supported?: readonly string[];
  /** PKCE methods (RFC 7636). MCP 2025-11-25+: a client MUST refuse to proceed when absent. */
  readonly code_challenge_methods_supported?: readonly string[];
  /** RFC 8628 §4. */
  readonly device_authorization_endpoint?: string;
  /** RFC 9126 §5. */
  readonly pushed_authorization_request_endpoint?: string;
  readonly require_pushed_authorization_requests?: boolean;
  /** RFC 9207 §3: the server sends `iss` in authorization responses. */
  readonly authorization_response_iss_parameter_supported?: boolean;
  /** Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25+). */
  readonly client_id_metadata_document_supported?: boolean;
  /** RFC 9449 §5.1. */
  readonly dpop_signing_alg_values_supported?: readonly string[];
  /** OpenID Connect Discovery 1.0 §3. */
  readonly userinfo_endpoint?: string;
  readonly end_session_endpoint?: string;
  readonly subject_types_supported?: readonly string[];
  readonly id_token_signing_alg_values_supported?: readonly string[];
  readonly claims_supported?: readonly string[];
  readonly [extension: string]: unknown;
}

/** What the caller expects of an {@link AuthorizationServerMetadata} document. */
export interface AuthorizationServerMetadataExpectations {
  /**
   * The issuer identifier the well-known URL was built from. Required: `issuer` in the document must
   * be **identical** to it (RFC 8414 §3.3, OpenID Connect Discovery 1.0 §4.3, MCP 2026-07-28
   * § Authorization Server Metadata Discovery): an exact string comparison, no normalization.
   */
  readonly expectedIssuer: string;
}

const DOCUMENT = 'authorization server metadata';

/**
 * Validates authorization server metadata (RFC 8414 §2 and §3.3) and returns it, frozen, with
 * unknown fields kept.
 *
 * Checks: `issuer` is an https URL (http only for loopback hosts) without query or fragment and is
 * identical to `expectedIssuer`; `token_endpoint` (OAuth 2.1 has no implicit grant, so RFC 8414 makes
 * it required) and `response_types_supported` (REQUIRED by RFC 8414 §2 and OIDC Discovery §3) are
 * present; every other field of {@link AuthorizationServerMetadata} has its type, endpoints being
 * https URLs (http only for loopback hosts).
 *
 * Throws `ProtocolError` `ERR_UNEXPECTED_VALUE` (attribute `issuer`) on an issuer mismatch, and
 * `ERR_INVALID_METADATA` naming the first bad field in `attribute` otherwise.
 *
 * Does NOT check that PKCE `S256` is supported, that an `authorization_endpoint` exists, or any other
 * capability a particular flow needs: the flow checks what it uses. Does NOT verify `signed_metadata`.
 *
 * @example
 * const as = validateAuthorizationServerMetadata(await response.json(), { expectedIssuer: issuer });
 */
export function validateAuthorizationServerMetadata(
  value: unknown,
  expectations: AuthorizationServerMetadataExpectations,
): Readonly<AuthorizationServerMetadata> {
  if (
    typeof expectations !== 'object' ||
    expectations === null ||
    typeof expectations.expectedIssuer !== 'string'
  ) {
    throw invalidArgument(
      '"expectedIssuer" is required: metadata must be checked against its issuer',
      'ERR_MISSING_OPTION',
    );
  }
  const object = expectObject(value, DOCUMENT);
  const issuer = requiredUrl(object, 'issuer', 'issuer');
  if (issuer !== expectations.expectedIssuer) {
    throw unexpectedValue(object, 'issuer', expectations.expectedIssuer, issuer);
  }
  const endpoint = (field: string) => optionalUrl(object, field, 'https');
  const list = (field: string) => optionalStringArray(object, field);
  const flag = (field: string) => optionalBoolean(object, field);
  return assemble<AuthorizationServerMetadata>(object, {
    issuer,
    authorization_endpoint: endpoint('authorization_endpoint'),
    token_endpoint: requiredUrl(object, 'token_endpoint', 'https'),
    jwks_uri: endpoint('jwks_uri'),
    registration_endpoint: endpoint('registration_endpoint'),
    scopes_supported: list('scopes_supported'),
    response_types_supported: requiredStringArray(object, 'response_types_supported'),
    response_modes_supported: list('response_modes_supported'),
    grant_types_supported: list('grant_types_supported'),
    token_endpoint_auth_methods_supported: list('token_endpoint_auth_methods_supported'),
    token_endpoint_auth_signing_alg_values_supported: list(
      'token_endpoint_auth_signing_alg_values_supported',
    ),
    service_documentation: optionalUrl(object, 'service_documentation', 'web'),
    ui_locales_supported: list('ui_locales_supported'),
    op_policy_uri: optionalUrl(object, 'op_policy_uri', 'web'),
    op_tos_uri: optionalUrl(object, 'op_tos_uri', 'web'),
    revocation_endpoint: endpoint('revocation_endpoint'),
    revocation_endpoint_auth_methods_supported: list('revocation_endpoint_auth_methods_supported'),
    revocation_endpoint_auth_signing_alg_values_supported: list(
      'revocation_endpoint_auth_signing_alg_values_supported',
    ),
    introspection_endpoint: endpoint('introspection_endpoint'),
    introspection_endpoint_auth_methods_supported: list('introspection_endpoint_auth_methods_supported'),
    introspection_endpoint_auth_signing_alg_values_supported: list(
      'introspection_endpoint_auth_signing_alg_values_supported',
    ),
    code_challenge_methods_supported: list('code_challenge_methods_supported'),
    device_authorization_endpoint: endpoint('device_authorization_endpoint'),
    pushed_authorization_request_endpoint: endpoint('pushed_authorization_request_endpoint'),
    require_pushed_authorization_requests: flag('require_pushed_authorization_requests'),
    authorization_response_iss_parameter_supported: flag('authorization_response_iss_parameter_supported'),
    client_id_metadata_document_supported: flag('client_id_metadata_document_supported'),
    dpop_signing_alg_values_supported: list('dpop_signing_alg_values_supported'),
    userinfo_endpoint: endpoint('userinfo_endpoint'),
    end_session_endpoint: endpoint('end_session_endpoint'),
    subject_types_supported: list('subject_types_supported'),
    id_token_signing_alg_values_supported: list('id_token_signing_alg_values_supported'),
    claims_supported: list('claims_supported'),
  });
}
