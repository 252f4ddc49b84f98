/**
 * Protected Resource Metadata discovery for an MCP client (RFC 9728 §3; MCP 2025-11-25 and
 * 2026-07-28 § Protected Resource Metadata Discovery Requirements; requirements checklist §10.1):
 *
 * 1. the `resource_metadata` URL of the server's `Bearer` challenge, when present;
 * 2. the path-inserted well-known URL: `https://h/.well-known/oauth-protected-resource/<mcp path>`;
 * 3. the root: `https://h/.well-known/oauth-protected-resource`.
 *
 * A 4xx answer moves to the next URL; the first 200 is validated and used, and any problem with it
 * stops discovery. A network failure stops discovery too, with the URL that was tried.
 */
import {
  canonicalResourceUri,
  invalidArgument,
  type ProtectedResourceMetadata,
  ProtocolError,
  protectedResourceMetadataUrls,
  validateProtectedResourceMetadata,
} from '@gatehouse/core';
import {
  type DiscoveryHttpOptions,
  discard,
  discoveryHeaders,
  isClientErrorStatus,
  readJson,
  resolveFetch,
  send,
  unexpectedStatus,
} from '../http.js';

const WHAT = 'protected resource metadata';

/** What {@link processProtectedResourceMetadataResponse} checks the document against. */
export interface ProtectedResourceMetadataResponseExpectations {
  /**
   * Required. The MCP server's URL. The document's `resource` must designate the same resource:
   * both sides are put through `canonicalResourceUri` and must then be identical.
   */
  readonly expectedResource: string;
  /**
   * Also accept the origin of `expectedResource` (`https://h` for `https://h/mcp`): the resource
   * identifier that the root well-known URL `https://h/.well-known/oauth-protected-resource` stands
   * for (RFC 9728 §3.1 builds it from a resource without a path, and §3.3 compares `resource` with
   * the identifier the URL was built from). Set it only for a document fetched from that root URL.
   * Default `false`.
   */
  readonly acceptOrigin?: boolean;
}

/** Where the metadata was found, and the validated document. */
export interface ProtectedResourceDiscovery {
  /** The URL that answered 200. */
  readonly url: string;
  readonly metadata: Readonly<ProtectedResourceMetadata>;
}

/** Options of {@link discoverProtectedResource}. */
export interface DiscoverProtectedResourceOptions extends DiscoveryHttpOptions {
  /**
   * The `resource_metadata` parameter of the server's challenge, tried first. Ignored when it is not
   * an absolute `http`/`https` URL (the well-known URLs are then tried, as for a challenge without
   * it). Default: none.
   */
  readonly resourceMetadataUrl?: string;
}

/**
 * Sends the GET for a Protected Resource Metadata document (RFC 9728 §3.1) and returns the raw
 * `Response`, whatever its status. Sends `Accept: application/json` and, when `protocolVersion` is
 * given, `MCP-Protocol-Version`.
 *
 * A network failure rejects with a `ProtocolError` naming the URL (`ERR_FETCH_FAILED`, or
 * `safeFetch`'s code such as `ERR_FETCH_REFUSED`). Does NOT check the response.
 *
 * @example
 * const response = await protectedResourceMetadataRequest(url, { policy: { allowLoopback: true } });
 * const metadata = await processProtectedResourceMetadataResponse(response, { expectedResource: mcpUrl });
 */
export function protectedResourceMetadataRequest(
  url: string,
  options?: DiscoveryHttpOptions,
): Promise<Response> {
  const fetchFn = resolveFetch(options);
  return send(fetchFn, url, { method: 'GET', headers: discoveryHeaders(options) }, WHAT, options?.signal);
}

function canonicalOrUndefined(value: string): string | undefined {
  try {
    return canonicalResourceUri(value);
  } catch {
    return undefined;
  }
}

/**
 * Validates a Protected Resource Metadata response: status 200, a JSON body, the RFC 9728 §2
 * document (core's `validateProtectedResourceMetadata`), and its `resource` designating
 * `expectedResource`. Returns the frozen document.
 *
 * The resource comparison puts both sides through `canonicalResourceUri` (lower-case scheme and
 * host, no default port, no trailing slash) and then requires identical strings. That is slightly
 * more lenient than RFC 9728 §3.3's plain identity, so `https://h/mcp/` typed by a user matches a
 * server that publishes `https://h/mcp`; a different path, host or port is refused, and so is a
 * prefix of the MCP URL (`https://h` for `https://h/mcp`) unless `acceptOrigin` is set and the
 * prefix is the origin.
 *
 * Throws `ProtocolError`: `ERR_INVALID_RESPONSE` (status other than 200, body not JSON),
 * `ERR_INVALID_METADATA` (a bad field, named in `attribute`), `ERR_UNEXPECTED_VALUE` with attribute
 * `resource` when the document is for another resource. Does NOT fetch the authorization servers it
 * lists or verify `signed_metadata`.
 */
export async function processProtectedResourceMetadataResponse(
  response: Response,
  expectations: ProtectedResourceMetadataResponseExpectations,
): Promise<Readonly<ProtectedResourceMetadata>> {
  if (typeof expectations?.expectedResource !== 'string') {
    throw invalidArgument(
      '"expectedResource" is required: the metadata must be checked against the MCP server URL',
      'ERR_MISSING_OPTION',
    );
  }
  const expected = canonicalResourceUri(expectations.expectedResource);
  if (response.status !== 200) {
    await discard(response);
    throw unexpectedStatus(WHAT, response, '200');
  }
  const metadata = validateProtectedResourceMetadata(await readJson(response, WHAT), {});
  const actual = canonicalOrUndefined(metadata.resource);
  const origin = canonicalResourceUri(new URL(expected).origin);
  if (actual !== expected && !(expectations.acceptOrigin === true && actual === origin)) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      '"resource" in the protected resource metadata does not match the MCP server URL: this metadata is for another resource, so the client stops (RFC 9728 §3.3)',
      {
        attribute: 'resource',
        expected,
        actual: metadata.resource.length > 200 ? `${metadata.resource.slice(0, 200)}…` : metadata.resource,
      },
    );
  }
  return metadata;
}

/** An absolute http(s) URL, or `undefined`. */
function usableUrl(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  return url.href;
}

/**
 * The URLs {@link discoverProtectedResource} tries, in order and without duplicates: the
 * challenge's `resource_metadata` (when usable), then core's `protectedResourceMetadataUrls` of the
 * canonical MCP server URL (path-inserted, then root).
 *
 * @example
 * protectedResourceMetadataCandidates('https://h/mcp');
 * // ['https://h/.well-known/oauth-protected-resource/mcp', 'https://h/.well-known/oauth-protected-resource']
 */
export function protectedResourceMetadataCandidates(
  serverUrl: string,
  resourceMetadataUrl?: string,
): string[] {
  const wellKnown = protectedResourceMetadataUrls(canonicalResourceUri(serverUrl));
  const fromChallenge = usableUrl(resourceMetadataUrl);
  return [...new Set(fromChallenge === undefined ? wellKnown : [fromChallenge, ...wellKnown])];
}

/**
 * Finds and validates the Protected Resource Metadata of an MCP server, trying the URLs of
 * {@link protectedResourceMetadataCandidates} in order. A 4xx answer moves to the next URL; the first
 * other answer is processed by {@link processProtectedResourceMetadataResponse}, whose errors stop
 * discovery (a wrong `resource` is never skipped over). A document from the root well-known URL may
 * name the server's origin as its `resource` (`acceptOrigin`: the identifier that URL stands for).
 * Resolves `undefined` when every URL answered 4xx: the server has no metadata (a 2025-03-26
 * server; see `discoverLegacyAuthorizationServer`).
 *
 * A network failure rejects with a `ProtocolError` naming the URL tried. `serverUrl` that is not a
 * valid MCP server URL (see core's `canonicalResourceUri`) is a `TypeError`. Does NOT pick an
 * authorization server or fetch its metadata.
 *
 * @example
 * const prm = await discoverProtectedResource('https://mcp.example.com/mcp', {
 *   resourceMetadataUrl: readBearerChallenge(response401)?.resource_metadata,
 * });
 */
export async function discoverProtectedResource(
  serverUrl: string,
  options: DiscoverProtectedResourceOptions = {},
): Promise<ProtectedResourceDiscovery | undefined> {
  const candidates = protectedResourceMetadataCandidates(serverUrl, options.resourceMetadataUrl);
  const rootUrl = protectedResourceMetadataUrls(canonicalResourceUri(serverUrl)).at(-1);
  for (const url of candidates) {
    const response = await protectedResourceMetadataRequest(url, options);
    if (isClientErrorStatus(response.status)) {
      await discard(response);
      continue;
    }
    const metadata = await processProtectedResourceMetadataResponse(response, {
      expectedResource: serverUrl,
      acceptOrigin: url === rootUrl,
    });
    return Object.freeze({ url, metadata });
  }
  return undefined;
}
