/**
 * `@gatehouse/client`: gets and keeps OAuth tokens for an MCP client. This first part covers
 * discovery (Protected Resource Metadata → authorization server metadata, every revision's order,
 * with the 2025-03-26 legacy fallback) and client registration (pre-registered → CIMD → dynamic).
 *
 * Every network step is a request/process pair (`xxxRequest()` returns the raw `Response`,
 * `processXxxResponse()` validates it) with an injectable `fetch` (default: core's `safeFetch`), and
 * a small orchestrating function on top (`discover`, `resolveClientRegistration`).
 */
export * from './discovery/authorization-server.js';
export * from './discovery/bearer-challenge.js';
export * from './discovery/discover.js';
export * from './discovery/legacy-authorization-server.js';
export * from './discovery/protected-resource.js';
export type { ClientFetch, ClientHttpOptions, ClientRequestInit, DiscoveryHttpOptions } from './http.js';
export {
  type DynamicClientMetadataOptions,
  dynamicClientMetadata,
  isNativeRedirectUri,
  processRegistrationResponse,
  type RegistrationRequestOptions,
  type RegistrationResponseExpectations,
  registrationRequest,
} from './registration/dynamic-registration.js';
export * from './registration/registration-impossible.js';
export * from './registration/resolve-client-registration.js';
export * from './registration/types.js';
