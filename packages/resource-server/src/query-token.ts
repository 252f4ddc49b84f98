import { InvalidRequest } from '@gatehouse/core';

/**
 * Throws {@link InvalidRequest} (400) when the URL query carries `access_token` (RFC 6750 §2.3):
 * tokens never travel in URLs (MCP § Token Requirements), whatever the `Authorization` scheme.
 */
export function refuseTokenInQuery(request: Request): void {
  // Cheap pre-check so that the URL is only parsed when it could carry a token.
  if (request.url.includes('access_token') && new URL(request.url).searchParams.has('access_token')) {
    throw new InvalidRequest({ description: 'access tokens in the query string are refused' });
  }
}
