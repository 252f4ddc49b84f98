/**
 * The OAuth 2.0 Protected Resource Metadata document of an MCP server and the handler that serves it
 * (RFC 9728 §2 document, §3 well-known URI, §3.1 path insertion).
 *
 * MCP 2025-06-18 § Authorization Server Location: servers MUST implement RFC 9728 and list at least
 * one authorization server. MCP 2025-11-25 § Protected Resource Metadata Discovery Requirements:
 * clients try `/.well-known/oauth-protected-resource<path>` and then the root
 * `/.well-known/oauth-protected-resource`, so the handler answers both. MCP 2026-07-28 § Refresh
 * Tokens (S7): `scopes_supported` never lists `offline_access`.
 *
 * Does NOT sign the metadata (`signed_metadata`, RFC 9728 §2.2) and does NOT publish `jwks_uri`
 * (this resource server signs nothing).
 */
import {
  canonicalResourceUri,
  invalidArgument,
  isLoopbackHostname,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrls,
  validateProtectedResourceMetadata,
} from '@gatehouse/core';
import { validateScopeList } from './scopes.js';

/** Options of {@link createProtectedResourceMetadata}. */
export interface ProtectedResourceMetadataOptions {
  /** The MCP endpoint's URL; published in canonical form (RFC 8707 §2, MCP § Canonical Server URI). Required. */
  resource: string | URL;
  /** Issuer identifiers of the authorization servers whose tokens this resource accepts. At least one. */
  authorizationServers: readonly string[];
  /** Scopes clients may request for this resource (RFC 9728 `scopes_supported`). No `offline_access`. Default: omitted. */
  scopesSupported?: readonly string[];
  /** Human-readable name (RFC 9728 `resource_name`). Default: omitted. */
  resourceName?: string;
  /** URL of developer documentation (RFC 9728 `resource_documentation`). Default: omitted. */
  resourceDocumentation?: string;
  /** DPoP proof algorithms accepted (RFC 9728 `dpop_signing_alg_values_supported`, RFC 9449). Default: omitted. */
  dpopSigningAlgValuesSupported?: readonly string[];
  /** Only DPoP-bound tokens accepted (RFC 9728 `dpop_bound_access_tokens_required`). Default: omitted (false). */
  dpopBoundAccessTokensRequired?: boolean;
}

function isLoopback(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isLoopbackHostname(bare) || isLoopbackHostname(hostname);
}

function validateIssuer(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument(
      `"${name}" must be an issuer URL string such as "https://auth.example.com"`,
      'ERR_INVALID_ARG_TYPE',
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(
      `"${name}" is not an absolute URL: give the authorization server's issuer identifier`,
    );
  }
  const insecure = url.protocol === 'http:' && !isLoopback(url.hostname);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || insecure) {
    throw invalidArgument(`"${name}" must use https (http is accepted for loopback hosts only; RFC 8414 §2)`);
  }
  if (url.search !== '' || url.hash !== '' || value.includes('#') || value.includes('?')) {
    throw invalidArgument(`"${name}" must have no query and no fragment (RFC 8414 §2 issuer identifier)`);
  }
  if (url.username !== '' || url.password !== '')
    throw invalidArgument(`"${name}" must not contain credentials`);
  return value; // exactly as given: issuers are compared by simple string comparison (RFC 8414 §3.3)
}

function validateHttpUrl(value: unknown, name: string): string {
  if (typeof value !== 'string')
    throw invalidArgument(`"${name}" must be a URL string`, 'ERR_INVALID_ARG_TYPE');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`"${name}" must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidArgument(`"${name}" must be an http(s) URL`);
  return value;
}

/**
 * Builds and self-checks the RFC 9728 document: `resource` (canonical URI), `authorization_servers`,
 * `bearer_methods_supported: ['header']` (MCP requires the header; RFC 6750 §2.1), and the optional
 * `scopes_supported`, `resource_name`, `resource_documentation`.
 *
 * @throws TypeError (`ERR_MISSING_OPTION` / `ERR_INVALID_ARG_…`) naming the bad option, with a hint.
 * @example
 * createProtectedResourceMetadata({ resource: 'https://mcp.example.com/mcp', authorizationServers: ['https://auth.example.com'] });
 * // { resource: 'https://mcp.example.com/mcp', authorization_servers: ['https://auth.example.com'], bearer_methods_supported: ['header'] }
 */
export function createProtectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('protected resource metadata options must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  if (options.resource === undefined) {
    throw invalidArgument(
      '"resource" is required: the canonical URL of the MCP endpoint, e.g. "https://mcp.example.com/mcp" (RFC 9728 §2)',
      'ERR_MISSING_OPTION',
    );
  }
  const resource = canonicalResourceUri(options.resource);
  const servers: unknown = options.authorizationServers;
  if (servers === undefined) {
    throw invalidArgument(
      '"authorizationServers" is required: list the issuer of at least one authorization server, e.g. ["https://auth.example.com"] (MCP § Authorization Server Location)',
      'ERR_MISSING_OPTION',
    );
  }
  if (!Array.isArray(servers) || servers.length === 0) {
    throw invalidArgument(
      '"authorizationServers" must be a non-empty array of issuer URLs: MCP requires at least one authorization server in the metadata',
    );
  }
  const authorizationServers = [
    ...new Set(servers.map((value, index) => validateIssuer(value, `authorizationServers[${index}]`))),
  ];

  const document: Record<string, unknown> = {
    resource,
    authorization_servers: authorizationServers,
    bearer_methods_supported: ['header'],
  };
  if (options.scopesSupported !== undefined) {
    document.scopes_supported = validateScopeList(options.scopesSupported, 'scopesSupported');
  }
  if (options.resourceName !== undefined) {
    if (typeof options.resourceName !== 'string' || options.resourceName.trim() === '') {
      throw invalidArgument('"resourceName" must be a non-empty string', 'ERR_INVALID_ARG_TYPE');
    }
    document.resource_name = options.resourceName;
  }
  if (options.resourceDocumentation !== undefined) {
    document.resource_documentation = validateHttpUrl(options.resourceDocumentation, 'resourceDocumentation');
  }
  if (options.dpopSigningAlgValuesSupported !== undefined) {
    document.dpop_signing_alg_values_supported = [...options.dpopSigningAlgValuesSupported];
  }
  if (options.dpopBoundAccessTokensRequired === true) document.dpop_bound_access_tokens_required = true;
  try {
    return validateProtectedResourceMetadata(document, { expectedResource: resource });
  } catch (cause) {
    const error = invalidArgument(
      `the protected resource metadata built from these options is not valid: ${(cause as Error).message}`,
    );
    (error as Error & { cause?: unknown }).cause = cause;
    throw error;
  }
}

/** Defaults of {@link MetadataHandlerOptions}. */
export const METADATA_HANDLER_DEFAULTS = {
  /** `Cache-Control: public, max-age=…` of the document, in seconds. */
  maxAgeSeconds: 3600,
} as const;

/** Options of {@link createMetadataHandler}. */
export interface MetadataHandlerOptions {
  /** Cache lifetime of the document in seconds. Default {@link METADATA_HANDLER_DEFAULTS}.maxAgeSeconds (one hour). */
  maxAgeSeconds?: number;
}

/** Answers metadata requests: a `Response`, or `undefined` when the path is not a metadata path. */
export type MetadataHandler = (request: Request) => Response | undefined;

const ALLOW = 'GET, HEAD, OPTIONS';

/**
 * The well-known paths at which the document for `resource` is served: the path-inserted one
 * (`/.well-known/oauth-protected-resource/mcp` for `…/mcp`), then the root one (RFC 9728 §3.1).
 * One path when the resource has no path.
 */
export function protectedResourceMetadataPaths(resource: string | URL): string[] {
  return [...new Set(protectedResourceMetadataUrls(resource).map((url) => new URL(url).pathname))];
}

/**
 * Creates the handler for both well-known metadata URLs of `metadata.resource`.
 *
 * - `GET` / `HEAD`: 200, `Content-Type: application/json`, `Cache-Control: public, max-age=3600`,
 *   `Access-Control-Allow-Origin: *` (browser-based clients fetch it cross-origin; the document
 *   is public).
 * - `OPTIONS`: 204 CORS preflight answer.
 * - Any other method: 405 with `Allow`.
 * - Any other path: `undefined`, so the caller can route on.
 *
 * Matches on the path only, not on the `Host` (proxies rewrite it); the query is ignored.
 */
export function createMetadataHandler(
  metadata: ProtectedResourceMetadata,
  options: MetadataHandlerOptions = {},
): MetadataHandler {
  const maxAge = options.maxAgeSeconds ?? METADATA_HANDLER_DEFAULTS.maxAgeSeconds;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0) {
    throw invalidArgument('"maxAgeSeconds" must be a non-negative integer', 'ERR_INVALID_ARG_VALUE');
  }
  const paths = new Set(protectedResourceMetadataPaths(metadata.resource));
  const body = JSON.stringify(metadata);
  const cors = { 'Access-Control-Allow-Origin': '*' };

  return (request) => {
    if (!paths.has(new URL(request.url).pathname)) return undefined;
    switch (request.method) {
      case 'GET':
      case 'HEAD':
        return new Response(request.method === 'GET' ? body : null, {
          status: 200,
          headers: {
            'Content-Type': 'application/json',
            'Cache-Control': `public, max-age=${maxAge}`,
            ...cors,
          },
        });
      case 'OPTIONS':
        return new Response(null, {
          status: 204,
          headers: {
            ...cors,
            'Access-Control-Allow-Methods': ALLOW,
            'Access-Control-Allow-Headers': '*',
            'Access-Control-Max-Age': '86400',
          },
        });
      default:
        return new Response(
          JSON.stringify({ error: 'method_not_allowed', error_description: `use ${ALLOW}` }),
          {
            status: 405,
            headers: {
              'Content-Type': 'application/json',
              Allow: ALLOW,
              'Cache-Control': 'no-store',
              ...cors,
            },
          },
        );
    }
  };
}
