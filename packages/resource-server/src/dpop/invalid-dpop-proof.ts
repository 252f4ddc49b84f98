/** The RFC 9449 §7.1 `invalid_dpop_proof` error of a resource server. */
import { OAuthError, type OAuthErrorOptions } from '@gatehouse/core';

/**
 * 401 `invalid_dpop_proof` (RFC 9449 §7.1, §12.2): the `DPoP` proof of a request presenting a
 * DPoP-bound token is missing or fails a §4.3 check. Answered with a `DPoP` challenge. The
 * description names the failed check, never a value from the proof.
 */
export class InvalidDpopProof extends OAuthError {
  static readonly errorCode = 'invalid_dpop_proof';
  override readonly name = 'InvalidDpopProof';
  constructor(options: OAuthErrorOptions = {}) {
    super('invalid_dpop_proof', 401, options);
  }
}
