/**
 * Access-token verification for resource servers: RFC 6750 header extraction, RFC 9068 JWT
 * verification with jose, RFC 7662 introspection, and the verification cache.
 */
export { extractBearerToken } from '../bearer.js';
export { VERIFY_DEFAULTS } from './defaults.js';
export {
  createIntrospectionVerifier,
  type IntrospectionVerifierOptions,
  introspectionRequest,
  processIntrospectionResponse,
} from './introspection-verifier.js';
export { createJwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
export type { AccessTokenVerifier } from './types.js';
export { VerificationCache, type VerificationCacheOptions } from './verification-cache.js';
export {
  createAccessTokenVerifier,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './verify-access-token.js';
