/**
 * The MCP 2025-03-26 authorization server discovery, kept as a LEGACY fallback for servers that
 * publish no Protected Resource Metadata at all (MCP 2025-03-26 § Server Metadata Discovery and
 * § Fallbacks for Servers without Metadata Discovery; requirements §1.1 "Discovery algorithm" and
 * §9.3):
 *
 * 1. `GET <origin>/.well-known/oauth-authorization-server`: the MCP server's origin is the
 *    authorization server, and the MCP URL's path is DROPPED (this is not RFC 8414 path insertion);
 * 2. when that answers 4xx: the default endpoints `<origin>/authorize`, `<origin>/token` and
 *    `<origin>/register`.
 *
 * Later revisions removed this: it is used only when a server has no Protected Resource Metadata,
 * and every result is flagged `legacy: true`.
 */
import {
  type AuthorizationServerMetadata,
  canonicalResourceUri,
  ProtocolError,
  validateAuthorizationServerMetadata,
} from '@gatehouse/core';
import { type DiscoveryHttpOptions, discard, isClientErrorStatus, readJson } from '../http.js';
import {
  type AuthorizationServerDiscovery,
  assertPkceS256,
  authorizationServerMetadataRequest,
} from './authorization-server.js';

const WHAT = 'authorization server metadata';

/**
 * The 2025-03-26 metadata URL of an MCP server: `<origin>/.well-known/oauth-authorization-server`,
 * whatever the MCP URL's path.
 *
 * @example
 * legacyAuthorizationServerMetadataUrl('https://h/v1/mcp'); // 'https://h/.well-known/oauth-authorization-server'
 */
export function legacyAuthorizationServerMetadataUrl(serverUrl: string): string {
  return `${new URL(canonicalResourceUri(serverUrl)).origin}/.well-known/oauth-authorization-server`;
}

/**
 * The metadata a 2025-03-26 client assumes when the server has none: the default endpoints on the
 * MCP server's origin, `issuer` = that origin, `response_types_supported: ['code']` and
 * `code_challenge_methods_supported: ['S256']` (2025-03-26 § Implementation Requirements: PKCE is
 * REQUIRED for every client). None of it was stated by the server.
 *
 * @example
 * legacyDefaultMetadata('https://h/mcp').token_endpoint; // 'https://h/token'
 */
export function legacyDefaultMetadata(serverUrl: string): Readonly<AuthorizationServerMetadata> {
  const origin = new URL(canonicalResourceUri(serverUrl)).origin;
  return Object.freeze({
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
    response_types_supported: Object.freeze(['code']),
    code_challenge_methods_supported: Object.freeze(['S256']),
  });
}

/**
 * The issuer a legacy document may state: the origin (with or without the trailing slash) or any
 * issuer of that same origin, e.g. `https://h/oauth` for an authorization server mounted under a
 * path. 2025-03-26 has no issuer rule, and the document comes from that origin, so it speaks for it;
 * an issuer of another origin is still refused (validation against the origin fails).
 */
function legacyIssuer(origin: string, value: unknown): string {
  const stated = (value as { issuer?: unknown } | null)?.issuer;
  if (typeof stated !== 'string') return origin;
  const url = URL.parse(stated);
  return url !== null && url.origin === origin && url.username === '' && url.password === ''
    ? stated
    : origin;
}

/**
 * Runs the 2025-03-26 discovery for an MCP server without Protected Resource Metadata (see the
 * module comment). Metadata found at the origin root is validated like any other (core's
 * `validateAuthorizationServerMetadata` with the origin, or an issuer of that origin with a path,
 * as the expected issuer; PKCE `S256` required). When it answers 4xx, resolves the default endpoints
 * of {@link legacyDefaultMetadata} with `url: undefined`. Every result has `legacy: true`.
 *
 * Rejects with `ProtocolError` for a network failure (naming the URL), a 3xx/5xx answer
 * (`ERR_INVALID_RESPONSE`), or metadata that fails validation. Does NOT check that the default
 * endpoints exist.
 *
 * @example
 * const as = await discoverLegacyAuthorizationServer('https://legacy.example.com/mcp', { protocolVersion: '2025-03-26' });
 * as.legacy; // true
 */
export async function discoverLegacyAuthorizationServer(
  serverUrl: string,
  options: DiscoveryHttpOptions = {},
): Promise<AuthorizationServerDiscovery> {
  const url = legacyAuthorizationServerMetadataUrl(serverUrl);
  const origin = new URL(url).origin;
  const response = await authorizationServerMetadataRequest(url, options);
  if (isClientErrorStatus(response.status)) {
    await discard(response);
    const metadata = legacyDefaultMetadata(serverUrl);
    return Object.freeze({ issuer: metadata.issuer, metadata, url: undefined, legacy: true });
  }
  if (response.status !== 200) {
    await discard(response);
    throw new ProtocolError(
      'ERR_INVALID_RESPONSE',
      `the ${WHAT} at ${url} answered HTTP ${response.status}, expected 200 or a client error`,
      { attribute: 'status', expected: 200, actual: response.status },
    );
  }
  const document = await readJson(response, WHAT);
  const metadata = validateAuthorizationServerMetadata(document, {
    expectedIssuer: legacyIssuer(origin, document),
  });
  assertPkceS256(metadata);
  return Object.freeze({ issuer: metadata.issuer, metadata, url, legacy: true });
}
