/**
 * Authorization server metadata discovery for an MCP client (RFC 8414 §3, OpenID Connect Discovery
 * 1.0 §4; MCP 2025-11-25 and 2026-07-28 § Authorization Server Metadata Discovery; requirements
 * checklist §10.1), in the order core's `authorizationServerMetadataUrls` gives:
 *
 * - issuer with a path: RFC 8414 insertion, OIDC insertion, OIDC appending;
 * - issuer without a path: RFC 8414, then OIDC.
 *
 * The first 200 is validated and used: `issuer` identical to the issuer the URL was built from
 * (RFC 8414 §3.3, OIDC Discovery §4.3), and PKCE `S256` advertised (MCP 2025-11-25 § Authorization
 * Code Protection: refuse when `code_challenge_methods_supported` is absent). A 4xx moves to the next
 * URL; anything wrong with a 200 stops discovery.
 */
import {
  type AuthorizationServerMetadata,
  authorizationServerMetadataUrls,
  invalidArgument,
  ProtocolError,
  validateAuthorizationServerMetadata,
} from '@gatehouse/core';
import {
  type DiscoveryHttpOptions,
  describeUrl,
  discard,
  discoveryHeaders,
  isClientErrorStatus,
  readJson,
  resolveFetch,
  send,
  unexpectedStatus,
} from '../http.js';

const WHAT = 'authorization server metadata';

/** What {@link processAuthorizationServerMetadataResponse} checks the document against. */
export interface AuthorizationServerMetadataResponseExpectations {
  /**
   * Required. The issuer identifier the metadata URL was built from; `issuer` in the document must be
   * identical to it (exact string comparison, RFC 8414 §3.3).
   */
  readonly expectedIssuer: string;
}

/** The authorization server a client will use, with its validated metadata. */
export interface AuthorizationServerDiscovery {
  /** The issuer identifier, exactly as the metadata states it. */
  readonly issuer: string;
  readonly metadata: Readonly<AuthorizationServerMetadata>;
  /** The URL that answered 200; `undefined` for the 2025-03-26 default endpoints (no metadata at all). */
  readonly url: string | undefined;
  /**
   * `true` when found through the 2025-03-26 fallback (no Protected Resource Metadata): metadata at
   * the MCP server's origin root, or the default `/authorize`, `/token`, `/register` endpoints.
   */
  readonly legacy: boolean;
}

/**
 * Sends the GET for one authorization server metadata URL (RFC 8414 §3.1 or OIDC Discovery §4.1) and
 * returns the raw `Response`, whatever its status. Sends `Accept: application/json` and, when
 * `protocolVersion` is given, `MCP-Protocol-Version`.
 *
 * A network failure rejects with a `ProtocolError` naming the URL. Does NOT check the response.
 *
 * @example
 * const [first] = authorizationServerMetadataUrls(issuer);
 * const response = await authorizationServerMetadataRequest(first.url);
 * const metadata = await processAuthorizationServerMetadataResponse(response, { expectedIssuer: issuer });
 */
export function authorizationServerMetadataRequest(
  url: string,
  options?: DiscoveryHttpOptions,
): Promise<Response> {
  const fetchFn = resolveFetch(options);
  return send(fetchFn, url, { method: 'GET', headers: discoveryHeaders(options) }, WHAT, options?.signal);
}

/**
 * Refuses metadata without PKCE `S256` (MCP 2025-11-25 and 2026-07-28 § Authorization Code
 * Protection; requirements §2.3). The spec only requires `code_challenge_methods_supported` to be
 * present and S256 to be used "when technically capable"; Gatehouse uses nothing but S256, so it also
 * requires `S256` in the list.
 *
 * Throws `ProtocolError` with attribute `code_challenge_methods_supported`: `ERR_MISSING_ATTRIBUTE`
 * when absent, `ERR_UNEXPECTED_VALUE` when it lacks `S256`.
 *
 * @example
 * assertPkceS256(metadata); // throws unless metadata.code_challenge_methods_supported includes 'S256'
 */
export function assertPkceS256(metadata: Readonly<AuthorizationServerMetadata>): void {
  const methods = metadata.code_challenge_methods_supported;
  if (methods === undefined) {
    throw new ProtocolError(
      'ERR_MISSING_ATTRIBUTE',
      '"code_challenge_methods_supported" is missing from the authorization server metadata: PKCE support cannot be verified, so the client refuses to proceed (MCP 2025-11-25 § Authorization Code Protection)',
      { attribute: 'code_challenge_methods_supported', expected: ['S256'], actual: undefined },
    );
  }
  if (!methods.includes('S256')) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      '"code_challenge_methods_supported" in the authorization server metadata does not include "S256", the only PKCE method the client uses',
      { attribute: 'code_challenge_methods_supported', expected: ['S256'], actual: methods.slice(0, 10) },
    );
  }
}

/**
 * Validates an authorization server metadata response: status 200, a JSON body, RFC 8414 §2 fields
 * with `issuer` identical to `expectedIssuer` (core's `validateAuthorizationServerMetadata`), and
 * PKCE `S256` ({@link assertPkceS256}). Returns the frozen document.
 *
 * Throws `ProtocolError`: `ERR_INVALID_RESPONSE` (status other than 200, body not JSON),
 * `ERR_UNEXPECTED_VALUE` with attribute `issuer` (another issuer: the metadata MUST NOT be used,
 * MCP 2026-07-28), `ERR_INVALID_METADATA` naming a bad field, and the PKCE errors above.
 * Does NOT check that an `authorization_endpoint` or `registration_endpoint` exists: the steps that
 * use them do.
 */
export async function processAuthorizationServerMetadataResponse(
  response: Response,
  expectations: AuthorizationServerMetadataResponseExpectations,
): Promise<Readonly<AuthorizationServerMetadata>> {
  if (typeof expectations?.expectedIssuer !== 'string') {
    throw invalidArgument(
      '"expectedIssuer" is required: the metadata must be checked against its issuer',
      'ERR_MISSING_OPTION',
    );
  }
  if (response.status !== 200) {
    await discard(response);
    throw unexpectedStatus(WHAT, response, '200');
  }
  const metadata = validateAuthorizationServerMetadata(await readJson(response, WHAT), {
    expectedIssuer: expectations.expectedIssuer,
  });
  assertPkceS256(metadata);
  return metadata;
}

/**
 * Finds and validates the metadata of the authorization server `issuer` (an entry of the Protected
 * Resource Metadata's `authorization_servers`), trying core's `authorizationServerMetadataUrls(issuer)`
 * in order. A 4xx answer moves to the next URL; the first other answer goes through
 * {@link processAuthorizationServerMetadataResponse}, whose errors stop discovery (an issuer mismatch
 * is never skipped over).
 *
 * Rejects with `ProtocolError` `ERR_INVALID_RESPONSE` when every URL answered 4xx, with the errors of
 * the request and process functions otherwise. An issuer that is not an absolute http(s) URL without
 * query or fragment is a `TypeError`. Does NOT register a client or check grant types.
 *
 * @example
 * const as = await discoverAuthorizationServer(prm.metadata.authorization_servers[0]);
 * as.metadata.token_endpoint;
 */
export async function discoverAuthorizationServer(
  issuer: string,
  options: DiscoveryHttpOptions = {},
): Promise<AuthorizationServerDiscovery> {
  const candidates = authorizationServerMetadataUrls(issuer);
  const statuses: number[] = [];
  for (const { url } of candidates) {
    const response = await authorizationServerMetadataRequest(url, options);
    if (isClientErrorStatus(response.status)) {
      statuses.push(response.status);
      await discard(response);
      continue;
    }
    const metadata = await processAuthorizationServerMetadataResponse(response, { expectedIssuer: issuer });
    return Object.freeze({ issuer: metadata.issuer, metadata, url, legacy: false });
  }
  throw new ProtocolError(
    'ERR_INVALID_RESPONSE',
    `no authorization server metadata was found for ${describeUrl(issuer)}: every well-known URL answered with a client error (RFC 8414 §3, OpenID Connect Discovery §4)`,
    {
      attribute: 'status',
      expected: 'a 200 answer at one of the well-known URLs',
      actual: statuses,
    },
  );
}
