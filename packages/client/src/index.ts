/**
 * `@gatehouse/client`: gets and keeps OAuth tokens for an MCP client. This first part covers
 * discovery (Protected Resource Metadata → authorization server metadata, every revision's order,
 * with the 2025-03-26 legacy fallback), client registration (pre-registered → CIMD → dynamic), the
 * authorization code flow with PKCE (loopback listener, browser, `state` and RFC 9207 `iss` checks:
 * `authorizeWithBrowser`) and the token endpoint grants (code, refresh, client credentials).
 * Token stores (`createFileStore`: 0700/0600 files, atomic writes, a cross-process lease;
 * `createMemoryStore`; `createKeychainStore`: secrets in the OS keychain) keep tokens and
 * registrations between runs; `refreshSingleFlight` makes a refresh happen once across processes.
 * `authFetch` composes all of it into a `fetch` for one MCP server (Bearer attached, renewed before
 * expiry, authorization on 401, step-up on 403, storm brake).
 *
 * Every network step is a request/process pair (`xxxRequest()` returns the raw `Response`,
 * `processXxxResponse()` validates it) with an injectable `fetch` (default: core's `safeFetch`), and
 * a small orchestrating function on top (`discover`, `resolveClientRegistration`).
 */
export {
  type AuthorizationUrlOptions,
  buildAuthorizationUrl,
  generateState,
  type ScopeSelection,
  selectScopes,
} from './authorize/authorization-request.js';
export {
  type AuthorizeWithBrowserOptions,
  authorizeWithBrowser,
  type BrowserAuthorization,
} from './authorize/authorize.js';
export { type BrowserEnvironment, canOpenBrowser } from './authorize/browser-availability.js';
export {
  type AuthorizationCallbackExpectations,
  processAuthorizationCallback,
} from './authorize/callback.js';
export {
  type AuthorizeWithDeviceOptions,
  authorizeWithDevice,
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorization,
  type DeviceAuthorizationParameters,
  type DeviceAuthorizationResult,
  type DeviceCodeGrant,
  deviceAuthorizationRequest,
  deviceCodeGrantRequest,
  offersDeviceAuthorization,
  processDeviceAuthorizationResponse,
} from './authorize/device-authorization.js';
export {
  AuthorizationDenied,
  AuthorizationFailed,
  AuthorizationTimeout,
  CallbackPortInUse,
} from './authorize/errors.js';
export {
  type LoopbackListener,
  type LoopbackListenerOptions,
  startLoopbackListener,
} from './authorize/loopback-listener.js';
export {
  type BrowserOpener,
  type OpenBrowserOptions,
  presentAuthorizationUrl,
  type TextWriter,
} from './authorize/open-browser.js';
export { codeChallengeS256, generateCodeVerifier, generatePkce, type PkcePair } from './authorize/pkce.js';
export * from './discovery/authorization-server.js';
export * from './discovery/bearer-challenge.js';
export * from './discovery/discover.js';
export * from './discovery/legacy-authorization-server.js';
export * from './discovery/protected-resource.js';
export {
  type DpopKey,
  type DpopPrivateJwk,
  generateDpopKey,
  importDpopKey,
} from './dpop/dpop-key.js';
export { createDpopSession, type DpopSession } from './dpop/dpop-proof.js';
export {
  type ClientAuthMethod,
  type PrivateKeyJwtKey,
  selectClientAuthMethod,
  type TokenEndpointClient,
  type TokenEndpointMetadata,
} from './grants/client-authentication.js';
export {
  authorizeWithIdJag,
  type IdJagAuthorizationOptions,
} from './grants/enterprise-managed-authorization.js';
export {
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TOKEN_TYPE,
  type IdJagGrant,
  type IdJagResponseExpectations,
  type IdJagTokenExchange,
  idJagTokenExchangeRequest,
  processIdJagResponse,
  SAML2_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './grants/id-jag-token-exchange.js';
export {
  JWT_BEARER_GRANT_TYPE,
  type JwtBearerGrant,
  jwtBearerGrantRequest,
} from './grants/jwt-bearer-grant.js';
export {
  type AuthorizationCodeGrant,
  authorizationCodeGrantRequest,
  type ClientCredentialsGrant,
  clientCredentialsGrantRequest,
  type RefreshTokenGrant,
  refreshTokenGrantRequest,
  type TokenRequestOptions,
} from './grants/token-request.js';
export {
  processTokenResponse,
  type TokenResponseExpectations,
  type TokenSet,
} from './grants/token-response.js';
export type { ClientFetch, ClientHttpOptions, ClientRequestInit, DiscoveryHttpOptions } from './http.js';
export { KeychainError, type KeychainErrorCode } from './keychain/errors.js';
export {
  createKeychainStore,
  isKeychainAvailable,
  type KeychainAvailabilityOptions,
  type KeychainStoreOptions,
  type KeychainTokenStore,
} from './keychain/keychain-store.js';
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
export {
  processRevocationResponse,
  revocationEndpoint,
  revocationRequest,
  type TokenRevocation,
} from './revocation/token-revocation.js';
export {
  type AuthFetchAuthorizationOptions,
  type AuthFetchOptions,
  authFetch,
  type FetchLike,
} from './session/auth-fetch.js';
export {
  AuthFetchError,
  AuthorizationRejectedError,
  AuthorizationRequiredError,
  AuthorizationStormError,
  StepUpLimitError,
} from './session/errors.js';
export { type AuthorizationFlow, chooseAuthorizationFlow } from './session/interactive-authorization.js';
export { TokenStoreError, type TokenStoreErrorCode, TokenStoreLockTimeout } from './store/errors.js';
export {
  createFileStore,
  defaultStoreDirectory,
  type FileStoreOptions,
  type FileTokenStore,
} from './store/file-store.js';
export { createMemoryStore } from './store/memory-store.js';
export { type RefreshSingleFlightOptions, refreshSingleFlight } from './store/refresh-single-flight.js';
export { clientRegistrationStore } from './store/registration-store.js';
export type * from './store/types.js';
