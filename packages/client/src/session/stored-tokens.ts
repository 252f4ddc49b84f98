/** Turns a validated token response into the entry `authFetch` keeps in its store. */
import type { DpopKey } from '../dpop/dpop-key.js';
import type { TokenSet } from '../grants/token-response.js';
import type { StoredTokens, StoreKey } from '../store/types.js';

/**
 * The store entry for `tokens` under `key`: `token_type` `'DPoP'` (with the private key) only when
 * the server bound them to `dpopKey` (RFC 9449 §5), else `'Bearer'`; `scope` falls back to
 * `fallbackScope` (the scopes asked for, or held before a refresh) when the response has none.
 */
export function toStoredTokens(
  tokens: Readonly<TokenSet>,
  key: StoreKey,
  fallbackScope: string | undefined,
  dpopKey: DpopKey | undefined,
): StoredTokens {
  const scope = tokens.scope ?? fallbackScope;
  const bound = tokens.token_type === 'DPoP' && dpopKey !== undefined;
  return {
    access_token: tokens.access_token,
    token_type: bound ? 'DPoP' : 'Bearer',
    ...(bound ? { dpop_jwk: dpopKey.privateJwk } : {}),
    ...(tokens.expiresAt === undefined ? {} : { expires_at: tokens.expiresAt }),
    ...(tokens.expires_in === undefined ? {} : { expires_in: tokens.expires_in }),
    ...(tokens.refresh_token === undefined ? {} : { refresh_token: tokens.refresh_token }),
    ...(scope === undefined || scope === '' ? {} : { scope }),
    resource: key.resource,
    issuer: key.issuer,
    client_id: key.clientId,
  };
}
