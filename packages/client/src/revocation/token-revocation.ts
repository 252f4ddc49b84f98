/**
 * Token revocation (RFC 7009) as a request/process pair: `gatehouse logout` tells the authorization
 * server that a stored refresh (and access) token is no longer wanted, when the server advertises a
 * `revocation_endpoint` (RFC 8414 §2).
 */

import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { invalidArgument, OAuthError, ProtocolError } from '@gatehouse/core';
import { postAuthenticatedForm } from '../grants/authenticated-form-post.js';
import type { TokenEndpointClient } from '../grants/client-authentication.js';
import {
  at,
  type ClientHttpOptions,
  discard,
  isSecureUrl,
  readJson,
  resolveFetch,
  unexpectedStatus,
} from '../http.js';

/** One token to revoke (RFC 7009 §2.1). Holds a secret: never log it. */
export interface TokenRevocation {
  readonly token: string;
  /** Helps the server find the token. Default: not sent. */
  readonly tokenTypeHint?: 'access_token' | 'refresh_token';
}

const WHAT = 'revocation endpoint';

/** The `revocation_endpoint` of `metadata` when it is https (http on loopback), else `undefined`. */
export function revocationEndpoint(metadata: Readonly<AuthorizationServerMetadata>): string | undefined {
  const endpoint = metadata?.revocation_endpoint;
  const url = typeof endpoint === 'string' ? URL.parse(endpoint) : null;
  return isSecureUrl(url) ? (endpoint as string) : undefined;
}

/**
 * Sends the revocation request (RFC 7009 §2.1) with the client's authentication, chosen from
 * `revocation_endpoint_auth_methods_supported` (else the token endpoint's methods). Returns the raw
 * `Response`.
 *
 * Misuse, or metadata without a usable `revocation_endpoint` → `TypeError`; a network failure →
 * `ProtocolError` naming the URL. Does NOT check the response.
 *
 * @example
 * const response = await revocationRequest(metadata, registration, { token, tokenTypeHint: 'refresh_token' });
 * await processRevocationResponse(response);
 */
export function revocationRequest(
  metadata: Readonly<AuthorizationServerMetadata>,
  client: TokenEndpointClient,
  revocation: TokenRevocation,
  options?: ClientHttpOptions,
): Promise<Response> {
  const fetchFn = resolveFetch(options);
  const url = revocationEndpoint(metadata);
  if (url === undefined) {
    throw invalidArgument('the authorization server metadata has no usable "revocation_endpoint"');
  }
  if (typeof revocation?.token !== 'string' || revocation.token === '') {
    throw invalidArgument('"token" is required and must be a non-empty string', 'ERR_MISSING_OPTION');
  }
  const methods =
    metadata.revocation_endpoint_auth_methods_supported ?? metadata.token_endpoint_auth_methods_supported;
  const authMetadata = { ...metadata, token_endpoint_auth_methods_supported: methods };
  const body = new URLSearchParams({ token: revocation.token });
  if (revocation.tokenTypeHint !== undefined) body.set('token_type_hint', revocation.tokenTypeHint);
  const form = { client, metadata: authMetadata, body, acceptJson: false };
  return postAuthenticatedForm(fetchFn, url, WHAT, form, options?.signal);
}

/**
 * Checks a revocation response: 200 is success (also for a token the server did not know, RFC 7009
 * §2.2); a 4xx with an RFC 6749 §5.2 body → `OAuthError` (e.g. `unsupported_token_type`,
 * `invalid_client`); anything else → `ProtocolError` `ERR_INVALID_RESPONSE`.
 */
export async function processRevocationResponse(response: Response): Promise<void> {
  if (!(response instanceof Response))
    throw invalidArgument('"response" must be a Response', 'ERR_INVALID_ARG_TYPE');
  if (response.status === 200) {
    await discard(response);
    return;
  }
  if (response.status >= 400 && response.status < 500) {
    const body = await readJson(response, WHAT).catch(() => undefined);
    const error = (body as { error?: unknown } | undefined)?.error;
    if (typeof error === 'string' && /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error)) {
      throw new OAuthError(error, response.status);
    }
    throw new ProtocolError(
      'ERR_INVALID_RESPONSE',
      `the ${WHAT}${at(response)} answered HTTP ${response.status}`,
      {
        attribute: 'status',
        expected: '200',
        actual: response.status,
      },
    );
  }
  await discard(response);
  throw unexpectedStatus(WHAT, response, '200 (RFC 7009 §2.2)');
}
