/**
 * The authorization request to the upstream (OpenID Connect Core 1.0 §3.1.2.1, authorization code
 * flow) with PKCE S256 (RFC 7636 §4.2), `state` (RFC 6749 §10.12) and `nonce` (OpenID Connect Core
 * §3.1.2.1), and the client description oauth4webapi needs for the later steps.
 */
import * as oauth from 'oauth4webapi';
import { UpstreamSignInError } from './errors.js';
import type { ResolvedUpstreamOptions } from './options.js';

/** Our client at the upstream, as oauth4webapi describes it. */
export interface UpstreamClient {
  readonly client: oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
}

/**
 * Describes our client at the upstream: with a secret, `client_secret_basic` unless the upstream
 * lists only `client_secret_post` (RFC 8414 §2 `token_endpoint_auth_methods_supported`); without
 * one, a public client (`none`, PKCE only).
 */
export function describeUpstreamClient(
  options: Pick<ResolvedUpstreamOptions, 'clientId' | 'clientSecret'>,
  metadata: oauth.AuthorizationServer,
): UpstreamClient {
  const client: oauth.Client = { client_id: options.clientId };
  if (options.clientSecret === undefined) return { client, clientAuth: oauth.None() };
  const methods = metadata.token_endpoint_auth_methods_supported;
  const postOnly =
    Array.isArray(methods) &&
    !methods.includes('client_secret_basic') &&
    methods.includes('client_secret_post');
  return {
    client,
    clientAuth: postOnly
      ? oauth.ClientSecretPost(options.clientSecret)
      : oauth.ClientSecretBasic(options.clientSecret),
  };
}

/** An authorization request ready to send the browser to, and the secrets to keep server-side. */
export interface UpstreamAuthorizationRequest {
  /** The upstream authorization endpoint with the request in its query. */
  readonly url: URL;
  readonly state: string;
  readonly nonce: string;
  /** Never leaves this server except to the upstream's token endpoint. */
  readonly codeVerifier: string;
}

/**
 * Builds the authorization request: `response_type=code`, `client_id`, `redirect_uri`, `scope`,
 * fresh random `state` and `nonce` (32 bytes each, oauth4webapi), and an S256 `code_challenge`.
 * Rejects with `invalid_response` when the upstream advertises PKCE methods without `S256`
 * (RFC 8414 §2 `code_challenge_methods_supported`). It does NOT store anything: the caller keeps
 * `state`, `nonce` and `codeVerifier` (see pending.ts).
 */
export async function createUpstreamAuthorizationRequest(
  metadata: oauth.AuthorizationServer,
  request: { readonly clientId: string; readonly redirectUri: string; readonly scopes: readonly string[] },
): Promise<UpstreamAuthorizationRequest> {
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    throw new UpstreamSignInError('invalid_response', 'the upstream does not support PKCE with S256');
  }
  if (typeof metadata.authorization_endpoint !== 'string') {
    throw new UpstreamSignInError(
      'invalid_response',
      'the upstream metadata has no "authorization_endpoint"',
    );
  }
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(metadata.authorization_endpoint);
  const query = url.searchParams;
  // `set` replaces any parameter of the same name already in the endpoint's query.
  query.set('response_type', 'code');
  query.set('client_id', request.clientId);
  query.set('redirect_uri', request.redirectUri);
  query.set('scope', request.scopes.join(' '));
  query.set('state', state);
  query.set('nonce', nonce);
  query.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  query.set('code_challenge_method', 'S256');
  return { url, state, nonce, codeVerifier };
}
