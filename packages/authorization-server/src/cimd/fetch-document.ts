/**
 * Fetching one Client ID Metadata Document (CIMD draft draft-ietf-oauth-client-id-metadata-document-00
 * §4; MCP 2025-11-25 § Client ID Metadata Documents > Implementation Requirements), as a
 * request / process pair: {@link clientIdMetadataDocumentRequest} fetches through a safe-fetch
 * function, {@link processClientIdMetadataDocumentResponse} checks the response and validates the
 * document. {@link refusalDescription} turns any failure into an `error_description` safe for the wire.
 */
import {
  type ClientIdMetadataDocument,
  ProtocolError,
  type SafeFetch,
  validateClientIdMetadataDocument,
} from '@gatehouse/core';
import { type CacheBounds, cacheLifetimeSeconds } from './cache.js';

/** A validated document and how long it may be reused. */
export interface FetchedClientIdMetadataDocument {
  readonly document: Readonly<ClientIdMetadataDocument>;
  /** Seconds the document may be reused; 0 = not at all (see `cacheLifetimeSeconds`). */
  readonly cacheSeconds: number;
}

/**
 * GETs the document at `clientIdUrl` with `Accept: application/json` through `fetch`, a function
 * from core's `createSafeFetch` (which enforces the address policy, no redirects, the size and time
 * limits). Resolves the raw `Response`; rejects with safe-fetch's `ProtocolError`s.
 *
 * It does NOT check the URL's format or the trust policy (see `policy.ts`), or the response.
 */
export function clientIdMetadataDocumentRequest(clientIdUrl: string, fetch: SafeFetch): Promise<Response> {
  return fetch(clientIdUrl, { headers: { accept: 'application/json' } });
}

/**
 * Checks a document response and validates the document with core's
 * `validateClientIdMetadataDocument` (`client_id` equal to `clientIdUrl`, `client_name`,
 * `redirect_uris`, no shared secret, …). Status 200 only; the body must be a JSON object. Returns the
 * frozen document and its cache lifetime.
 *
 * It does NOT check the media type (a JSON body under `text/plain` is accepted) or apply a trust policy.
 *
 * @throws {ProtocolError} `ERR_INVALID_RESPONSE` (status, not JSON), or the validator's
 *   `ERR_UNEXPECTED_VALUE` (`client_id`) / `ERR_INVALID_METADATA`.
 */
export async function processClientIdMetadataDocumentResponse(
  response: Response,
  clientIdUrl: string,
  bounds: CacheBounds,
): Promise<FetchedClientIdMetadataDocument> {
  if (response.status !== 200) {
    throw new ProtocolError(
      'ERR_INVALID_RESPONSE',
      'the client ID metadata document URL did not answer 200',
      {
        attribute: 'status',
        expected: 200,
        actual: response.status,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(await response.text());
  } catch (cause) {
    throw new ProtocolError('ERR_INVALID_RESPONSE', 'the client ID metadata document is not valid JSON', {
      attribute: 'body',
      expected: 'a JSON object',
      cause,
    });
  }
  const document = validateClientIdMetadataDocument(value, { clientIdUrl });
  return { document, cacheSeconds: cacheLifetimeSeconds(response.headers, bounds) };
}

/** Field names from our own validators are safe to show; anything else is not echoed. */
const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The `error_description` for a document that could not be used: one sentence per failure kind,
 * naming a limit or a field but never echoing the document, the URL's query or any peer text.
 */
export function refusalDescription(error: unknown): string {
  const prefix = 'the client ID metadata document';
  if (!(error instanceof ProtocolError)) return `${prefix} could not be fetched`;
  const field =
    error.attribute !== undefined && FIELD_NAME.test(error.attribute) ? error.attribute : undefined;
  switch (error.code) {
    case 'ERR_FETCH_REFUSED':
      if (error.attribute === 'location')
        return `${prefix} URL answered with a redirect; redirects are not followed`;
      if (error.attribute === 'address') {
        return `${prefix} host resolves to a private, loopback or reserved address, which this server does not fetch`;
      }
      return `${prefix} URL is not one this server fetches (https to a public host only)`;
    case 'ERR_FETCH_TIMEOUT':
      return `${prefix} did not arrive within the time limit`;
    case 'ERR_RESPONSE_TOO_LARGE':
      return `${prefix} is larger than this server accepts`;
    case 'ERR_FETCH_FAILED':
      return `${prefix} could not be fetched`;
    case 'ERR_INVALID_RESPONSE':
      if (error.attribute === 'status' && typeof error.actual === 'number') {
        return `${prefix} URL answered HTTP ${error.actual}, not 200`;
      }
      return `${prefix} is not a JSON object`;
    case 'ERR_UNEXPECTED_VALUE':
      if (field === 'client_id') return `${prefix} "client_id" does not equal the URL it was fetched from`;
      return field === undefined ? `${prefix} is invalid` : `${prefix} has an unexpected "${field}"`;
    case 'ERR_INVALID_METADATA':
    case 'ERR_MISSING_ATTRIBUTE':
      return field === undefined ? `${prefix} is invalid` : `${prefix} has a missing or invalid "${field}"`;
    default:
      return `${prefix} is invalid`;
  }
}
