/**
 * Processing of the upstream's authorization response at our callback (OpenID Connect Core 1.0
 * §3.1.2.5–§3.1.3.7): the response parameters (RFC 6749 §4.1.2, `state`; RFC 9207 `iss`), the code
 * exchange with the PKCE verifier (RFC 7636 §4.5), the ID token (issuer, audience, `azp`, expiry,
 * `iat`, `nonce`, and its signature against the upstream's JWKS), and, when the ID token names no
 * username, the UserInfo response (§5.3.2, `sub` must match).
 *
 * The upstream's access, refresh and ID tokens live only in this function's scope: the result is
 * the upstream identity, never a token.
 */
import * as oauth from 'oauth4webapi';
import type { UpstreamClient } from './authorize.js';
import type { UpstreamHttpOptions } from './discovery.js';
import { classifyUpstreamError } from './errors.js';

/** Who signed in upstream. `subject` and `issuer` identify them; the rest are display hints only. */
export interface UpstreamIdentity {
  /** The ID token's `iss` (equal to the upstream's metadata `issuer`). */
  readonly issuer: string;
  /** The ID token's `sub`. */
  readonly subject: string;
  /** `preferred_username` (ID token, else UserInfo), never used to match accounts. */
  readonly preferredUsername?: string;
  /** `email` (ID token, else UserInfo), never used to match accounts. */
  readonly email?: string;
}

/** Inputs of {@link processUpstreamCallback}. */
export interface UpstreamCallbackInput {
  readonly metadata: oauth.AuthorizationServer;
  readonly client: UpstreamClient;
  /** The callback URL's query parameters, as received. */
  readonly parameters: URLSearchParams;
  /** The `state` sent with the authorization request (looked up server-side, see pending.ts). */
  readonly expectedState: string;
  readonly expectedNonce: string;
  readonly codeVerifier: string;
  /** The `redirect_uri` sent with the authorization request. */
  readonly redirectUri: string;
  readonly http: UpstreamHttpOptions;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** UserInfo claims for the display hints; undefined when there is no endpoint or it fails (hints are optional). */
async function userInfoHints(
  input: UpstreamCallbackInput,
  accessToken: string,
  subject: string,
): Promise<{ preferredUsername?: string; email?: string } | undefined> {
  const { metadata, client, http } = input;
  if (typeof metadata.userinfo_endpoint !== 'string') return undefined;
  try {
    const response = await oauth.userInfoRequest(metadata, client.client, accessToken, http);
    const info = await oauth.processUserInfoResponse(metadata, client.client, subject, response);
    const preferredUsername = stringClaim(info.preferred_username);
    const email = stringClaim(info.email);
    return { ...(preferredUsername ? { preferredUsername } : {}), ...(email ? { email } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Validates the authorization response, redeems the code and validates the ID token; resolves with
 * the upstream identity. Rejects with an `UpstreamSignInError`: `denied` / `upstream_error` for an
 * error response, `invalid_response` for a failed check (state, `iss`, token response, any ID token
 * claim, signature), `unreachable` when the token endpoint or the JWKS cannot be fetched.
 *
 * It does NOT look up or consume the pending request (the caller does, before, by `state`), and
 * does NOT check `auth_time` or `acr` (no `max_age` or `acr_values` is sent).
 *
 * @example
 * const identity = await processUpstreamCallback({ metadata, client, parameters: url.searchParams,
 *   expectedState, expectedNonce, codeVerifier, redirectUri, http });
 */
export async function processUpstreamCallback(input: UpstreamCallbackInput): Promise<UpstreamIdentity> {
  const { metadata, client, http } = input;
  try {
    const parameters = oauth.validateAuthResponse(
      metadata,
      client.client,
      input.parameters,
      input.expectedState,
    );
    const response = await oauth.authorizationCodeGrantRequest(
      metadata,
      client.client,
      client.clientAuth,
      parameters,
      input.redirectUri,
      input.codeVerifier,
      http,
    );
    const result = await oauth.processAuthorizationCodeResponse(metadata, client.client, response, {
      expectedNonce: input.expectedNonce,
      requireIdToken: true,
    });
    // The ID token came straight from the token endpoint (OpenID Connect Core §3.1.3.7 item 6 allows
    // trusting TLS there); its signature is checked anyway, against the upstream's jwks_uri.
    await oauth.validateApplicationLevelSignature(metadata, response, http);
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (claims === undefined) throw new oauth.OperationProcessingError('the token response has no ID token');
    const identity: UpstreamIdentity = {
      issuer: claims.iss,
      subject: claims.sub,
      ...(stringClaim(claims.preferred_username)
        ? { preferredUsername: claims.preferred_username as string }
        : {}),
      ...(stringClaim(claims.email) ? { email: claims.email as string } : {}),
    };
    if (identity.preferredUsername !== undefined || identity.email !== undefined) return identity;
    const hints = await userInfoHints(input, result.access_token, claims.sub);
    return { ...identity, ...hints };
  } catch (error) {
    throw classifyUpstreamError(error);
  }
}
