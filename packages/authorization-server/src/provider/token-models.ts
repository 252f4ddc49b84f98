/**
 * Which node-oidc-provider models hold what, for revoking from inside the provider adapter (a lost
 * consume race, see `storage-adapter.ts`) and from outside it (the `gatehouse` admin commands work
 * on the storage directly, so a running server sees the change at its next lookup).
 */

/**
 * The models whose records belong to a grant (`grantId`): what oidc-provider itself revokes when a
 * grant is revoked (its `helpers/revoke.js`), besides the Grant record.
 */
export const GRANT_TOKEN_MODELS: readonly string[] = Object.freeze([
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * The models whose records name a client (`clientId`) without necessarily belonging to a grant:
 * client-credentials tokens, the RFC 7592 registration access token, pushed requests.
 */
export const CLIENT_TOKEN_MODELS: readonly string[] = Object.freeze([
  ...GRANT_TOKEN_MODELS,
  'ClientCredentials',
  'RegistrationAccessToken',
  'PushedAuthorizationRequest',
]);
