/**
 * Reading the `Bearer` challenge of a 401 or 403 from an MCP server (RFC 6750 §3, RFC 9728 §5.1,
 * MCP 2025-11-25 § Protected Resource Metadata Discovery Requirements and § Scope Selection
 * Strategy), through core's one `WWW-Authenticate` tokenizer.
 */

import { findChallenge, parseWwwAuthenticate } from '@gatehouse/core';
import { challengeParams } from './challenge-params.js';

/**
 * The parameters of a `Bearer` challenge that an MCP client acts on, wire names verbatim. Values
 * are as the server sent them (unescaped); nothing here is validated beyond its presence.
 */
export interface BearerChallenge {
  /** RFC 9728 §5.1: the URL of the resource's Protected Resource Metadata. */
  readonly resource_metadata?: string;
  /** RFC 6750 §3: the space-delimited scopes the current operation needs. */
  readonly scope?: string;
  /** RFC 6750 §3.1: `invalid_request`, `invalid_token`, `insufficient_scope`, … (absent on a bare 401). */
  readonly error?: string;
  /** RFC 6750 §3: text for the developer. Peer text: never show it unencoded. */
  readonly error_description?: string;
}

/**
 * Reads the first `Bearer` challenge (scheme compared case-insensitively) of a response's
 * `WWW-Authenticate` header(s), or of a header value. Returns `undefined` when there is no `Bearer`
 * challenge (no header, another scheme only, or a malformed header: the tokenizer never throws).
 *
 * Does NOT check the status of the response, that `resource_metadata` is a usable URL, or that
 * `error` is a known code: discovery checks what it uses.
 *
 * @example
 * const response = await fetch(mcpUrl, { method: 'POST', body });
 * if (response.status === 401) {
 *   const challenge = readBearerChallenge(response); // { resource_metadata: 'https://…', scope: 'files:read' }
 * }
 */
export function readBearerChallenge(source: Response | Headers | string | null): BearerChallenge | undefined {
  let header: string | null;
  if (source instanceof Response) header = source.headers.get('www-authenticate');
  else if (source instanceof Headers) header = source.get('www-authenticate');
  else header = source;
  const challenge = findChallenge(parseWwwAuthenticate(header), 'Bearer');
  return challenge === undefined ? undefined : challengeParams(challenge.params);
}

/**
 * Splits an RFC 6749 §3.3 `scope` value (space-delimited, case-sensitive) into its scopes, without
 * empty entries or duplicates, in their order. Returns an empty array for `undefined` or blanks.
 *
 * @example
 * splitScope('files:read  files:write files:read'); // ['files:read', 'files:write']
 */
export function splitScope(scope: string | undefined): string[] {
  if (typeof scope !== 'string') return [];
  return [...new Set(scope.split(' ').filter((entry) => entry !== ''))];
}
