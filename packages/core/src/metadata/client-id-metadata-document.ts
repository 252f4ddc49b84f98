/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-00, the CIMD
 * draft MCP 2025-11-25 and later cite): a client whose `client_id` is an https URL serving its
 * client metadata as JSON.
 */

import { invalidArgument } from '../errors.js';
import { isLoopbackHostname } from '../url.js';
import { type ClientMetadata, checkClientMetadataFields } from './client-metadata.js';
import {
  assemble,
  expectObject,
  invalidField,
  isPresent,
  type MetadataObject,
  optionalString,
  optionalStringArray,
  requiredString,
  requiredUrlArray,
  shorten,
  unexpectedValue,
} from './validate.js';

/** A Client ID Metadata Document: client metadata whose `client_id` is the document's own URL. */
export interface ClientIdMetadataDocument extends ClientMetadata {
  /** The URL the document was fetched from, exactly. */
  readonly client_id: string;
  readonly client_name: string;
  readonly redirect_uris: readonly string[];
  /** Proposed by SEP-3149 (MCP draft) to replace the singular `token_endpoint_auth_method`. */
  readonly token_endpoint_auth_methods_supported?: readonly string[];
}

/** Options of {@link isClientIdMetadataDocumentUrl}. */
export interface ClientIdMetadataDocumentUrlOptions {
  /**
   * Also accept `http://` URLs on a loopback host. For tests and local development only: the draft
   * requires https, and an http document can be altered in transit. Default `false`.
   */
  readonly dangerouslyAllowLoopbackHttp?: boolean;
}

const DOT_SEGMENTS = new Set(['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e']);

/** The path of a URL as written, before the WHATWG parser resolves `.` and `..` segments. */
function rawPath(value: string): string {
  const afterScheme = value.slice(value.indexOf('//') + 2);
  const slash = afterScheme.search(/[/?#]/);
  if (slash === -1 || afterScheme[slash] !== '/') return '';
  return afterScheme.slice(slash).split(/[?#]/, 1)[0] ?? '';
}

/**
 * Whether `value` may be used as a Client ID Metadata Document URL (CIMD draft §3; MCP 2025-11-25
 * § Client ID Metadata Documents): an absolute `https` URL with a path other than `/`, no `.` or `..`
 * path segments (also percent-encoded), no fragment, no username or password. A query and a port are
 * allowed.
 *
 * Does NOT fetch the URL or check that its host is public: fetch it through `safe-fetch`.
 *
 * @example
 * isClientIdMetadataDocumentUrl('https://app.example.com/oauth/client.json'); // true
 */
export function isClientIdMetadataDocumentUrl(
  value: string,
  options: ClientIdMetadataDocumentUrlOptions = {},
): boolean {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  const loopbackHttp =
    options.dangerouslyAllowLoopbackHttp === true &&
    url.protocol === 'http:' &&
    isLoopbackHostname(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) return false;
  if (url.href.includes('#') || url.username !== '' || url.password !== '') return false;
  const path = rawPath(value);
  if (path === '' || path === '/') return false;
  return !path.split('/').some((segment) => DOT_SEGMENTS.has(segment.toLowerCase()));
}

/** What the caller expects of a {@link ClientIdMetadataDocument}. */
export interface ClientIdMetadataDocumentExpectations {
  /**
   * The URL the document was fetched from, i.e. the `client_id` the client presented. The document's
   * `client_id` must equal it by simple string comparison (CIMD draft §4.1, RFC 3986 §6.2.1).
   */
  readonly clientIdUrl: string;
}

/** Token endpoint authentication methods a CIMD client may use: no shared secret can exist. */
const ALLOWED_AUTH_METHODS: ReadonlySet<string> = new Set(['none', 'private_key_jwt']);
const ALLOWED_AUTH_METHODS_TEXT = '"none" or "private_key_jwt"';

function checkAuthMethod(object: MetadataObject, field: string, method: string): void {
  if (!ALLOWED_AUTH_METHODS.has(method)) {
    throw invalidField(
      object,
      field,
      `must be ${ALLOWED_AUTH_METHODS_TEXT}: a client ID metadata document cannot use a shared secret`,
      [...ALLOWED_AUTH_METHODS],
      shorten(method),
    );
  }
}

/**
 * Validates a Client ID Metadata Document (CIMD draft §4; MCP 2025-11-25 and later, § Client ID
 * Metadata Documents > Implementation Requirements) and returns it, frozen, with unknown fields kept.
 *
 * Checks, in order:
 * - `client_id` is identical to `clientIdUrl` (`ProtocolError` `ERR_UNEXPECTED_VALUE`, attribute
 *   `client_id`);
 * - no `client_secret` and no `client_secret_expires_at` (CIMD draft §4.1);
 * - `token_endpoint_auth_method`, when present, is `none` or `private_key_jwt`: no `client_secret_*`
 *   or other shared-secret method, and also no other method (`tls_client_auth`, …) that Gatehouse
 *   does not support for these clients. Absent means `none` (a public client). The plural
 *   `token_endpoint_auth_methods_supported` of the SEP-3149 proposal is held to the same rule;
 * - `redirect_uris` is a non-empty array of redirect URIs and `client_name` a non-empty string (MCP
 *   requires both);
 * - every client metadata check of `validateClientMetadata`;
 * - `private_key_jwt` comes with `jwks` or `jwks_uri` (CIMD draft §6.2).
 *
 * Other failures throw `ProtocolError` `ERR_INVALID_METADATA` naming the first bad field.
 *
 * Does NOT check `clientIdUrl` itself (use {@link isClientIdMetadataDocumentUrl} before fetching), fetch
 * `jwks_uri`, apply a trust policy to the redirect URIs' hosts, or cache anything.
 *
 * @example
 * const client = validateClientIdMetadataDocument(await response.json(), { clientIdUrl });
 */
export function validateClientIdMetadataDocument(
  value: unknown,
  expectations: ClientIdMetadataDocumentExpectations,
): Readonly<ClientIdMetadataDocument> {
  if (
    typeof expectations !== 'object' ||
    expectations === null ||
    typeof expectations.clientIdUrl !== 'string'
  ) {
    throw invalidArgument(
      '"clientIdUrl" is required: the document must be checked against its URL',
      'ERR_MISSING_OPTION',
    );
  }
  const object = expectObject(value, 'client ID metadata document');
  const clientId = requiredString(object, 'client_id');
  if (clientId !== expectations.clientIdUrl) {
    throw unexpectedValue(object, 'client_id', expectations.clientIdUrl, clientId);
  }
  for (const field of ['client_secret', 'client_secret_expires_at']) {
    if (isPresent(object, field)) {
      throw invalidField(
        object,
        field,
        'must not be present: a client ID metadata document has no shared secret',
        'absent',
        'present',
      );
    }
  }
  const method = optionalString(object, 'token_endpoint_auth_method');
  if (method !== undefined) checkAuthMethod(object, 'token_endpoint_auth_method', method);
  const methods = optionalStringArray(object, 'token_endpoint_auth_methods_supported');
  for (const each of methods ?? []) checkAuthMethod(object, 'token_endpoint_auth_methods_supported', each);

  const redirectUris = requiredUrlArray(object, 'redirect_uris', 'redirect', { nonEmpty: true });
  const clientName = requiredString(object, 'client_name');
  const checked = {
    ...checkClientMetadataFields(object),
    client_id: clientId,
    redirect_uris: redirectUris,
    client_name: clientName,
    token_endpoint_auth_methods_supported: methods,
  };
  const usesPrivateKeyJwt = method === 'private_key_jwt' || (methods?.includes('private_key_jwt') ?? false);
  if (usesPrivateKeyJwt && checked.jwks === undefined && checked.jwks_uri === undefined) {
    throw invalidField(
      object,
      'jwks_uri',
      'is missing: "private_key_jwt" needs "jwks_uri" or "jwks"',
      'https URL',
      'undefined',
    );
  }
  return assemble<ClientIdMetadataDocument>(object, checked);
}
