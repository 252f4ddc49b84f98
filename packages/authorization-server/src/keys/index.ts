/** Signing and cookie keys of the authorization server: persisted, checked, rotatable. */

export {
  COOKIE_KEY_BYTES,
  generateCookieSecret,
  generateSigningJwk,
  KeyMaterialError,
  type KeyMaterialErrorCode,
} from './key-material.js';
export {
  type KeySet,
  type LoadKeysOptions,
  loadOrCreateKeys,
  type RotateKeyOptions,
  rotateCookieKey,
  rotateSigningKey,
  toPublicJwks,
} from './keys.js';
