/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728 §2): the document an MCP server publishes at
 * `/.well-known/oauth-protected-resource[/<path>]` to say which authorization servers it trusts.
 */

import { invalidArgument } from '../errors.js';
import {
  assemble,
  expectObject,
  optionalBoolean,
  optionalString,
  optionalStringArray,
  optionalUrl,
  requiredUrl,
  requiredUrlArray,
  unexpectedValue,
} from './validate.js';

/**
 * Protected Resource Metadata (RFC 9728 §2), wire names verbatim. Unknown fields (extensions,
 * language-tagged names such as `resource_name#fr`) are kept as they were received.
 */
export interface ProtectedResourceMetadata {
  /** The resource identifier: the MCP server's canonical URI (RFC 9728 §2, RFC 8707). */
  readonly resource: string;
  /** Issuer identifiers of the authorization servers for this resource. At least one (MCP). */
  readonly authorization_servers: readonly string[];
  readonly jwks_uri?: string;
  readonly scopes_supported?: readonly string[];
  /** `header`, `body`, `query` (RFC 6750 §2). */
  readonly bearer_methods_supported?: readonly string[];
  readonly resource_signing_alg_values_supported?: readonly string[];
  readonly resource_name?: string;
  readonly resource_documentation?: string;
  readonly resource_policy_uri?: string;
  readonly resource_tos_uri?: string;
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  readonly authorization_details_types_supported?: readonly string[];
  readonly dpop_signing_alg_values_supported?: readonly string[];
  readonly dpop_bound_access_tokens_required?: boolean;
  /** A JWT with signed metadata values (RFC 9728 §2.2); not verified here. */
  readonly signed_metadata?: string;
  readonly [extension: string]: unknown;
}

/** What the caller expects of a {@link ProtectedResourceMetadata} document. */
export interface ProtectedResourceMetadataExpectations {
  /**
   * The resource identifier the metadata was looked up for. When given, `resource` must be
   * **identical** to it (RFC 9728 §3.3): an exact string comparison, without any normalization of
   * case, port, trailing slash or percent-encoding. Pass the same string the well-known URL was built
   * from. Leave it out only when the resource is genuinely unknown (never in an MCP client).
   */
  readonly expectedResource?: string;
}

const DOCUMENT = 'protected resource metadata';

/**
 * Validates a Protected Resource Metadata document (RFC 9728 §2 and §3.3) and returns it, frozen,
 * with unknown fields kept.
 *
 * Checks: `resource` is an https URL (http only for loopback hosts) without fragment, and equals
 * `expectedResource` when given; `authorization_servers` is a non-empty array of issuer URLs (MCP
 * 2025-06-18 and later, § Authorization Server Location: at least one); every other field of
 * {@link ProtectedResourceMetadata} has its type (URLs are checked as URLs).
 *
 * Throws `ProtocolError` `ERR_INVALID_METADATA` naming the first bad field in `attribute`, or
 * `ERR_UNEXPECTED_VALUE` (attribute `resource`) when the resource does not match.
 *
 * Does NOT verify `signed_metadata`, fetch anything, or check that the authorization servers are
 * acceptable to the caller.
 *
 * @example
 * const prm = validateProtectedResourceMetadata(await response.json(), { expectedResource: resource });
 */
export function validateProtectedResourceMetadata(
  value: unknown,
  expectations: ProtectedResourceMetadataExpectations,
): Readonly<ProtectedResourceMetadata> {
  if (typeof expectations !== 'object' || expectations === null) {
    throw invalidArgument('"expectations" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const { expectedResource } = expectations;
  if (expectedResource !== undefined && typeof expectedResource !== 'string') {
    throw invalidArgument('"expectedResource" must be a string', 'ERR_INVALID_ARG_TYPE');
  }
  const object = expectObject(value, DOCUMENT);
  const resource = requiredUrl(object, 'resource', 'https');
  if (expectedResource !== undefined && resource !== expectedResource) {
    throw unexpectedValue(object, 'resource', expectedResource, resource);
  }
  return assemble<ProtectedResourceMetadata>(object, {
    resource,
    authorization_servers: requiredUrlArray(object, 'authorization_servers', 'issuer', { nonEmpty: true }),
    jwks_uri: optionalUrl(object, 'jwks_uri', 'https'),
    scopes_supported: optionalStringArray(object, 'scopes_supported'),
    bearer_methods_supported: optionalStringArray(object, 'bearer_methods_supported'),
    resource_signing_alg_values_supported: optionalStringArray(
      object,
      'resource_signing_alg_values_supported',
    ),
    resource_name: optionalString(object, 'resource_name'),
    resource_documentation: optionalUrl(object, 'resource_documentation', 'web'),
    resource_policy_uri: optionalUrl(object, 'resource_policy_uri', 'web'),
    resource_tos_uri: optionalUrl(object, 'resource_tos_uri', 'web'),
    tls_client_certificate_bound_access_tokens: optionalBoolean(
      object,
      'tls_client_certificate_bound_access_tokens',
    ),
    authorization_details_types_supported: optionalStringArray(
      object,
      'authorization_details_types_supported',
    ),
    dpop_signing_alg_values_supported: optionalStringArray(object, 'dpop_signing_alg_values_supported'),
    dpop_bound_access_tokens_required: optionalBoolean(object, 'dpop_bound_access_tokens_required'),
    signed_metadata: optionalString(object, 'signed_metadata'),
  });
}
