import {
  authorizationServerMetadataUrls,
  ProtocolError,
  type SafeFetchPolicy,
  safeFetch,
  validateAuthorizationServerMetadata,
} from '@gatehouse/core';

/**
 * Finds an external issuer's `jwks_uri` from its metadata: RFC 8414 and OpenID Connect Discovery
 * URLs in the MCP order, each fetched through `safeFetch`, the first document found validated
 * (its `issuer` must equal `issuer` exactly, RFC 8414 §3.3).
 *
 * Does not check that the issuer signs access tokens with those keys; the verifier does that.
 */
export async function discoverJwksUri(issuer: string, policy: SafeFetchPolicy): Promise<string> {
  const failures: string[] = [];
  for (const { url } of authorizationServerMetadataUrls(issuer)) {
    let response: Response;
    try {
      response = await safeFetch(url, { policy, headers: { accept: 'application/json' } });
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
      continue;
    }
    if (!response.ok) {
      failures.push(`${url}: HTTP ${response.status}`);
      continue;
    }
    const metadata = validateAuthorizationServerMetadata(await response.json().catch(() => undefined), {
      expectedIssuer: issuer,
    });
    if (typeof metadata.jwks_uri !== 'string') {
      throw new ProtocolError('ERR_MISSING_ATTRIBUTE', `the metadata of ${issuer} has no "jwks_uri"`, {
        attribute: 'jwks_uri',
      });
    }
    return metadata.jwks_uri;
  }
  throw new ProtocolError(
    'ERR_INVALID_METADATA',
    `no authorization server metadata found for ${issuer}; tried:\n  ${failures.join('\n  ')}`,
    {
      attribute: 'issuer',
      actual: failures,
    },
  );
}
