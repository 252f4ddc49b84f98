/**
 * Renewing the tokens of an `authFetch` with their refresh token (RFC 6749 §6; issue 4 item 6):
 * before they expire, and once after a 401 to a token still valid. Every redemption goes through
 * `refreshSingleFlight`, so calls and processes sharing the store redeem a rotating refresh token
 * once; the held `scope` is re-sent (pain point 5).
 */
import { OAuthError } from '@gatehouse/core';
import { splitScope } from '../discovery/bearer-challenge.js';
import { refreshTokenGrantRequest } from '../grants/token-request.js';
import { processTokenResponse } from '../grants/token-response.js';
import type { ClientHttpOptions } from '../http.js';
import { refreshSingleFlight } from '../store/refresh-single-flight.js';
import { isTokenFresh } from '../store/token-freshness.js';
import type { StoredTokens, StoreKey, TokenStore } from '../store/types.js';
import type { DpopSessions } from './dpop-binding.js';
import { toStoredTokens } from './stored-tokens.js';
import type { RefreshContext, TokenBindings } from './token-binding.js';

/** What {@link createTokenRenewal} needs. */
export interface TokenRenewalOptions {
  readonly store: TokenStore;
  readonly http: ClientHttpOptions;
  readonly bindings: TokenBindings;
  readonly dpopSessions: DpopSessions;
  /** Renew when fewer seconds than this remain (`refreshSkewSeconds`). */
  readonly skew: number;
}

/** The two moments `authFetch` renews tokens. */
export interface TokenRenewal {
  /**
   * The token to send now: the stored one, renewed first when it expires within `skew`; a refused
   * refresh (`OAuthError`) gives the stored token while it is still valid, else `undefined` (the
   * 401 then leads to an authorization). `undefined` too when nothing is stored.
   */
  currentToken(): Promise<StoredTokens | undefined>;
  /**
   * A 401 to `sent`, a token this client held valid (revoked, signing keys rotated, server state
   * lost): one refresh before any interactive authorization. Returns the renewed tokens (or those
   * another call or process stored meanwhile), or `undefined` when there is nothing to refresh
   * with or the refresh was refused (`OAuthError`).
   */
  renewRejected(sent: StoredTokens): Promise<StoredTokens | undefined>;
}

/** Creates the token renewal of one `authFetch` instance. */
export function createTokenRenewal(options: TokenRenewalOptions): TokenRenewal {
  const { store, http, bindings, dpopSessions, skew } = options;

  /** Not due for renewal: `skew`, capped at half the token's lifetime (`isTokenFresh`). */
  const isFresh = (tokens: StoredTokens) => isTokenFresh(tokens, skew);
  /**
   * Whether `latest` (re-read under the refresh lock) replaced `seen`, the tokens found expiring, and
   * is still valid: another call or process refreshed meanwhile. Used even when a token's lifetime is
   * shorter than `refreshSkewSeconds`, or every waiter would refresh again.
   */
  const renewedMeanwhile = (seen: StoredTokens, latest: StoredTokens) =>
    latest.access_token !== seen.access_token &&
    (latest.expires_at === undefined || latest.expires_at > Date.now() / 1000);

  /**
   * Redeems the stored refresh token once across the calls and processes sharing the store
   * (`refreshSingleFlight`), unless the tokens re-read under the lock satisfy `needsNone`.
   */
  function refreshWith(
    context: RefreshContext,
    key: StoreKey,
    needsNone: (latest: StoredTokens) => boolean,
  ): Promise<StoredTokens | undefined> {
    return refreshSingleFlight(
      store,
      key,
      async (latest) => {
        const dpop = await dpopSessions.forTokens(latest);
        const response = await refreshTokenGrantRequest(
          context.metadata,
          context.registration,
          {
            refreshToken: latest.refresh_token ?? '',
            resource: context.resource,
            ...(latest.scope === undefined ? {} : { scope: splitScope(latest.scope) }),
          },
          dpop === undefined ? http : { ...http, dpop },
        );
        const tokens = await processTokenResponse(response, {
          expectedResource: context.resource,
          dpop: dpop !== undefined,
        });
        return toStoredTokens(tokens, key, latest.scope, dpop?.key);
      },
      { isFresh: needsNone },
    );
  }

  return {
    async currentToken() {
      const current = await bindings.find();
      if (current === undefined) return undefined;
      const stored = await store.get(current.key);
      if (stored === undefined || isFresh(stored)) return stored;
      const usable =
        stored.expires_at !== undefined && stored.expires_at > Date.now() / 1000 ? stored : undefined;
      if (stored.refresh_token === undefined) return usable;
      try {
        const context = await bindings.refreshContext(current);
        if (context === undefined) return usable;
        return await refreshWith(
          context,
          current.key,
          (latest) => isFresh(latest) || renewedMeanwhile(stored, latest),
        );
      } catch (error) {
        if (error instanceof OAuthError) return usable; // refused refresh: authorize again on the 401
        throw error;
      }
    },

    async renewRejected(sent) {
      const current = bindings.current();
      if (current === undefined || sent.refresh_token === undefined) return undefined;
      try {
        const context = await bindings.refreshContext(current);
        if (context === undefined) return undefined;
        const renewed = await refreshWith(context, current.key, (latest) => renewedMeanwhile(sent, latest));
        return renewed?.access_token === sent.access_token ? undefined : renewed;
      } catch (error) {
        if (error instanceof OAuthError) return undefined;
        throw error;
      }
    },
  };
}
