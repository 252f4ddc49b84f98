import type { AuthInfo } from '../auth-info.js';

/**
 * Checks one access token and says what it grants (OAuth 2.1 §5.2; MCP 2025-06-18 § Token
 * Handling). Implementations: `createJwtVerifier` (RFC 9068 JWTs, local JWKS check),
 * `createIntrospectionVerifier` (RFC 7662), or your own.
 *
 * Contract for `verify(token)`:
 * - resolves with an {@link AuthInfo} only when the token is valid, unexpired, issued by the
 *   configured issuer and meant for this resource (its audience contains the canonical URI);
 * - rejects with `InvalidToken` (401) for any bad token, with a short description that never
 *   contains the token or any of its claims;
 * - rejects with `TemporarilyUnavailable` (503) when the JWKS or introspection endpoint cannot be
 *   reached or answers with something unusable.
 *
 * It does NOT check scopes: that is the caller's decision per operation (`InsufficientScope`).
 *
 * @example
 * const info = await verifier.verify(extractBearerToken(request));
 */
export interface AccessTokenVerifier {
  verify(token: string): Promise<AuthInfo>;
}
