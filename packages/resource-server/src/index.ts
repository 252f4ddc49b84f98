/**
 * `@gatehouse/resource-server`: protect an MCP server with OAuth 2.1 — bearer token verification,
 * Protected Resource Metadata (RFC 9728), RFC 6750 challenges, scope checks and `Origin`/`Host`
 * validation, over web-standard `Request`/`Response`.
 *
 * Framework adapters live in their own entry points (`/hono`, `/express`, `/node`) and the
 * SDK-based MCP endpoint in `/mcp`, so that only what you import is loaded.
 */
export * from './adapters/fetch.js';
export * from './auth-info.js';
export * from './bearer.js';
export * from './challenge.js';
export * from './cors.js';
export { DIAGNOSTICS_CHANNEL, type ResourceServerEvent } from './diagnostics.js';
export {
  createDpopProofVerifier,
  DPOP_DEFAULTS,
  type DpopOptions,
  type DpopProofExpectations,
  type DpopProofVerifier,
} from './dpop/dpop-proof-verifier.js';
export { InvalidDpopProof } from './dpop/invalid-dpop-proof.js';
export { type BodyBytesResult, jsonRpcErrorResponse, readBodyBytes } from './json-body.js';
export * from './origin.js';
export * from './protected-resource-metadata.js';
export * from './resource-server.js';
export * from './scopes.js';
export * from './verify/index.js';
