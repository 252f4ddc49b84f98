/** Local accounts of the authorization server: password hashes, sign-in with lockout, the one-time setup token. */

export {
  ACCOUNT_DEFAULTS,
  type AccountService,
  type AccountServiceOptions,
  type AuthenticationResult,
  createAccountService,
  lockoutSeconds,
} from './accounts.js';
export {
  DEFAULT_SCRYPT_PARAMETERS,
  HASH_BYTES,
  hashPassword,
  needsRehash,
  type ParsedPasswordHash,
  parsePasswordHash,
  SALT_BYTES,
  type ScryptParameters,
  verifyPassword,
} from './password-hash.js';
export {
  consumeSetupToken,
  type IssueSetupTokenOptions,
  issueSetupToken,
  SETUP_TOKEN_SETTING,
  SETUP_TOKEN_TTL_SECONDS,
  type SetupTokenClockOptions,
  verifySetupToken,
} from './setup-token.js';
