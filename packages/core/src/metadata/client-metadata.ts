/**
 * OAuth 2.0 client metadata (RFC 7591 §2, plus OpenID Connect Dynamic Client Registration 1.0
 * `application_type`) and the client registration response (RFC 7591 §3.2.1, RFC 7592 §3).
 */

import {
  assemble,
  expectObject,
  invalidField,
  isPresent,
  jsonType,
  type MetadataObject,
  optionalNonNegativeInteger,
  optionalObject,
  optionalString,
  optionalStringArray,
  optionalUrl,
  optionalUrlArray,
  requiredString,
} from './validate.js';

/** A JWK Set (RFC 7517 §5), as carried in the `jwks` client metadata field. Keys are not checked. */
export interface JsonWebKeySet {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
  readonly [extension: string]: unknown;
}

/** Client metadata (RFC 7591 §2), wire names verbatim. Unknown fields are kept as received. */
export interface ClientMetadata {
  readonly redirect_uris?: readonly string[];
  /**
   * `none`, `client_secret_basic`, `client_secret_post`, `private_key_jwt`, …
   * (RFC 7591 §2 default when absent: `client_secret_basic`).
   */
  readonly token_endpoint_auth_method?: string;
  readonly grant_types?: readonly string[];
  readonly response_types?: readonly string[];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly logo_uri?: string;
  /** Space-separated scope values. */
  readonly scope?: string;
  readonly contacts?: readonly string[];
  readonly tos_uri?: string;
  readonly policy_uri?: string;
  readonly jwks_uri?: string;
  readonly jwks?: JsonWebKeySet;
  readonly software_id?: string;
  readonly software_version?: string;
  readonly software_statement?: string;
  /** OpenID Connect Dynamic Client Registration 1.0 §2: `native` or `web` (MCP 2026-07-28: MUST in DCR). */
  readonly application_type?: string;
  readonly token_endpoint_auth_signing_alg?: string;
  readonly [extension: string]: unknown;
}

/** A successful client registration response (RFC 7591 §3.2.1; RFC 7592 §3 management fields). */
export interface ClientRegistrationResponse extends ClientMetadata {
  readonly client_id: string;
  readonly client_secret?: string;
  /** Seconds since the epoch. */
  readonly client_id_issued_at?: number;
  /** Seconds since the epoch, `0` for "never". Present whenever `client_secret` is. */
  readonly client_secret_expires_at?: number;
  /** RFC 7592: present together with `registration_client_uri`. */
  readonly registration_access_token?: string;
  readonly registration_client_uri?: string;
}

function checkJwks(object: MetadataObject): JsonWebKeySet | undefined {
  const jwks = optionalObject(object, 'jwks');
  if (jwks === undefined) return undefined;
  const keys = jwks.keys;
  if (
    !Array.isArray(keys) ||
    keys.some((key) => typeof key !== 'object' || key === null || Array.isArray(key))
  ) {
    const actual = Array.isArray(keys) ? 'array with a non-object entry' : jsonType(keys);
    throw invalidField(object, 'jwks', 'must be a JWK Set with a "keys" array of objects', 'JWK Set', actual);
  }
  return jwks as JsonWebKeySet;
}

/**
 * Checks the RFC 7591 §2 client metadata fields of `object` and returns their narrowed values (for
 * {@link assemble}). Shared by the client metadata, registration response and CIMD validators.
 * Internal: not re-exported from the package.
 */
export function checkClientMetadataFields(object: MetadataObject) {
  const fields = {
    redirect_uris: optionalUrlArray(object, 'redirect_uris', 'redirect'),
    token_endpoint_auth_method: optionalString(object, 'token_endpoint_auth_method'),
    grant_types: optionalStringArray(object, 'grant_types'),
    response_types: optionalStringArray(object, 'response_types'),
    client_name: optionalString(object, 'client_name'),
    client_uri: optionalUrl(object, 'client_uri', 'web'),
    logo_uri: optionalUrl(object, 'logo_uri', 'web'),
    scope: optionalString(object, 'scope'),
    contacts: optionalStringArray(object, 'contacts'),
    tos_uri: optionalUrl(object, 'tos_uri', 'web'),
    policy_uri: optionalUrl(object, 'policy_uri', 'web'),
    jwks_uri: optionalUrl(object, 'jwks_uri', 'https'),
    jwks: checkJwks(object),
    software_id: optionalString(object, 'software_id'),
    software_version: optionalString(object, 'software_version'),
    software_statement: optionalString(object, 'software_statement'),
    application_type: optionalString(object, 'application_type'),
    token_endpoint_auth_signing_alg: optionalString(object, 'token_endpoint_auth_signing_alg'),
  };
  // RFC 7591 §2: "The jwks_uri and jwks parameters MUST NOT both be present in the same request or response."
  if (fields.jwks_uri !== undefined && fields.jwks !== undefined) {
    throw invalidField(object, 'jwks', 'must not be present together with "jwks_uri"', 'absent', 'present');
  }
  return fields;
}

/**
 * Validates client metadata (RFC 7591 §2) and returns it, frozen, with unknown fields kept. All
 * fields are optional; each present one must have its type, URLs must be absolute (redirect URIs
 * without fragment and without `javascript:`/`data:`/`vbscript:`/`file:` schemes; `jwks_uri` https or
 * loopback http; pages http(s)), and `jwks` and `jwks_uri` must not both be present.
 *
 * Throws `ProtocolError` `ERR_INVALID_METADATA` naming the first bad field in `attribute`. An
 * authorization server validating a registration request maps that to an RFC 7591 §3.2.2
 * `invalid_client_metadata` / `invalid_redirect_uri` response itself.
 *
 * Does NOT apply registration policy (which grant types, auth methods or redirect URIs are allowed,
 * loopback rules, `application_type` constraints) and does NOT verify `software_statement`.
 *
 * @example
 * const metadata = validateClientMetadata(await request.json());
 */
export function validateClientMetadata(value: unknown): Readonly<ClientMetadata> {
  const object = expectObject(value, 'client metadata');
  return assemble<ClientMetadata>(object, checkClientMetadataFields(object));
}

/**
 * Validates a client registration response (RFC 7591 §3.2.1) and returns it, frozen, with unknown
 * fields kept.
 *
 * Checks: `client_id` is a non-empty string; `client_secret` a string; `client_id_issued_at` and
 * `client_secret_expires_at` non-negative integers, the latter required when a `client_secret` is
 * issued; `registration_access_token` and `registration_client_uri` (RFC 7592 §3) appear together;
 * plus every client metadata check of {@link validateClientMetadata}.
 *
 * Does NOT compare the registered metadata with what was requested (the server may change it, RFC
 * 7591 §3.2.1): the caller checks what it relies on, e.g. its redirect URI. Error values never
 * contain `client_secret` or `registration_access_token`.
 *
 * @example
 * const registration = validateClientRegistrationResponse(await response.json());
 */
export function validateClientRegistrationResponse(value: unknown): Readonly<ClientRegistrationResponse> {
  const object = expectObject(value, 'client registration response');
  const checked = {
    client_id: requiredString(object, 'client_id'),
    client_secret: optionalString(object, 'client_secret'),
    client_id_issued_at: optionalNonNegativeInteger(object, 'client_id_issued_at'),
    client_secret_expires_at: optionalNonNegativeInteger(object, 'client_secret_expires_at'),
    registration_access_token: optionalString(object, 'registration_access_token'),
    registration_client_uri: optionalUrl(object, 'registration_client_uri', 'https'),
    ...checkClientMetadataFields(object),
  };
  if (checked.client_secret !== undefined && checked.client_secret_expires_at === undefined) {
    throw invalidField(
      object,
      'client_secret_expires_at',
      'is missing (RFC 7591 §3.2.1: required when a client_secret is issued)',
      'non-negative integer',
      'undefined',
    );
  }
  const hasToken = isPresent(object, 'registration_access_token');
  const hasUri = isPresent(object, 'registration_client_uri');
  if (hasToken !== hasUri) {
    const field = hasToken ? 'registration_client_uri' : 'registration_access_token';
    const other = hasToken ? 'registration_access_token' : 'registration_client_uri';
    throw invalidField(
      object,
      field,
      `is missing while "${other}" is present (RFC 7592 §3)`,
      'present',
      'undefined',
    );
  }
  return assemble<ClientRegistrationResponse>(object, checked);
}
