/**
 * `@gatehouse/authorization-server`: an embedded OAuth 2.1 authorization server for MCP, on
 * node-oidc-provider, persistent from the first start (see `createAuthorizationServer`).
 */

export * from './accounts/index.js';
export * from './create-authorization-server.js';
export * from './keys/index.js';
export { checkRedirectUri } from './provider/redirect-uri-policy.js';
export { createStorageAdapter, type StorageAdapterOptions } from './provider/storage-adapter.js';
export { CLIENT_TOKEN_MODELS, GRANT_TOKEN_MODELS } from './provider/token-models.js';
export * from './storage/index.js';
