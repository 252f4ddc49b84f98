/**
 * The one way the client POSTs an `application/x-www-form-urlencoded` request authenticated as
 * itself (RFC 6749 §2.3): token requests (RFC 6749 §3.2), revocation (RFC 7009 §2.1) and device
 * authorization (RFC 8628 §3.1). Not part of the public API.
 */
import { type DpopSession, isUseDpopNonceError } from '../dpop/dpop-proof.js';
import { type ClientFetch, discard, send } from '../http.js';
import {
  applyClientAuthentication,
  selectClientAuthMethod,
  type TokenEndpointClient,
  type TokenEndpointMetadata,
} from './client-authentication.js';

/** What is posted, and as whom. Every field is required unless it says otherwise. */
export interface AuthenticatedForm {
  readonly client: TokenEndpointClient;
  /**
   * Chooses the method (its `token_endpoint_auth_methods_supported`) and gives a client
   * assertion's audience.
   */
  readonly metadata: Readonly<TokenEndpointMetadata>;
  /** The request parameters; the client authentication parameters are added to it. */
  readonly body: URLSearchParams;
  /** Whether to send `accept: application/json`. */
  readonly acceptJson: boolean;
  /**
   * Adds a fresh `DPoP` proof (RFC 9449 §5) and keeps the server's nonce; on `use_dpop_nonce`
   * (§8) the request is sent once more with it (and a new client assertion). Default: none.
   */
  readonly dpop?: DpopSession | undefined;
}

/**
 * Chooses the client authentication method synchronously (misuse throws at the call, see
 * `selectClientAuthMethod`), then adds the client's authentication (`applyClientAuthentication`)
 * and POSTs the form to `url` through `send` (`what` names the endpoint in network-failure
 * messages). Returns the raw `Response`. Does NOT check `url` (the caller has checked it is https,
 * or http on loopback) nor the response.
 */
export function postAuthenticatedForm(
  fetchFn: ClientFetch,
  url: string,
  what: string,
  form: AuthenticatedForm,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const { client, metadata, body, dpop } = form;
  const method = selectClientAuthMethod(client, metadata);
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    ...(form.acceptJson ? { accept: 'application/json' } : {}),
  };
  const attempt = async () => {
    const headers = { ...baseHeaders };
    await applyClientAuthentication(method, client, metadata, body, headers);
    if (dpop !== undefined) headers.dpop = await dpop.proof('POST', url);
    const response = await send(
      fetchFn,
      url,
      { method: 'POST', headers, body: body.toString() },
      what,
      signal,
    );
    dpop?.rememberNonce(url, response);
    return response;
  };
  return (async () => {
    const response = await attempt();
    if (dpop === undefined || !(await isUseDpopNonceError(response))) return response;
    await discard(response);
    return attempt(); // RFC 9449 §8: once, with the nonce just remembered
  })();
}
