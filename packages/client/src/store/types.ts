/**
 * The token store contract: where a client keeps its tokens and its client registrations between
 * runs, and how processes sharing a store agree on who refreshes (issue 4 item 6; MCP 2026-07-28
 * § Token Handling and § Authorization Server Binding: tokens are bound to one resource and one
 * authorization server, credentials to one issuer).
 */
import type { DpopPrivateJwk } from '../dpop/dpop-key.js';
import type { ClientRegistration } from '../registration/types.js';

/**
 * Tokens as kept in a store. Token fields keep their RFC 6749 §5.1 wire names; `expires_at` is the
 * absolute expiry (seconds since the epoch) so a stored token can be renewed before it expires
 * without a 401 (pain point 6). Holds secrets (`access_token`, `refresh_token`): never log it.
 */
export interface StoredTokens {
  readonly access_token: string;
  /** `'Bearer'` (RFC 6750), or `'DPoP'` for a token bound to {@link dpop_jwk} (RFC 9449). */
  readonly token_type: string;
  /** Seconds since the epoch when the access token expires. Absent when the server did not say. */
  readonly expires_at?: number;
  /**
   * The access token's lifetime in seconds, as the token response's `expires_in` gave it (RFC 6749
   * §5.1). Caps the renewal margin of a short-lived token at half its lifetime (`isTokenFresh`).
   * Absent when the server did not say, and in entries stored before it was kept.
   */
  readonly expires_in?: number;
  /** Present when the server issued one (RFC 6749 §6; rotated on use by most servers). */
  readonly refresh_token?: string;
  /** The granted scopes, space-separated (re-sent on refresh: pain point 5). */
  readonly scope?: string;
  /** The RFC 8707 resource (the MCP server's canonical URI) the token is bound to. */
  readonly resource: string;
  /** The authorization server that issued the token (its metadata `issuer`). */
  readonly issuer: string;
  /** The client the token was issued to. */
  readonly client_id: string;
  /**
   * The DPoP private key the tokens are bound to (RFC 9449 §6: the access token's `cnf.jkt`, and for
   * public clients the refresh token too), when they were requested with DPoP. Secret.
   */
  readonly dpop_jwk?: DpopPrivateJwk;
}

/** What a token entry is stored under: one entry per authorization server, resource and client. */
export interface StoreKey {
  readonly issuer: string;
  readonly resource: string;
  readonly clientId: string;
}

/** One entry of {@link TokenStore.list}: never a token value, only what a status display needs. */
export interface StoredTokensSummary {
  readonly key: StoreKey;
  readonly expires_at?: number;
  readonly scope?: string;
  /** Whether a refresh token is stored (its value is not given). */
  readonly hasRefreshToken: boolean;
}

/** The result of {@link TokenStore.list}: the readable entries and the ones that could not be read. */
export interface StoreListing {
  readonly entries: readonly StoredTokensSummary[];
  /**
   * Entries that could not be read (a `TokenStoreError` each, naming the file). They are reported,
   * never deleted: the user decides.
   */
  readonly problems: readonly Error[];
}

/** Options of {@link TokenStore.withLock}. */
export interface LockOptions {
  /**
   * How long to wait for the lock before failing with `TokenStoreLockTimeout`, in milliseconds.
   * Default 30 000.
   */
  readonly timeoutMs?: number;
}

/**
 * A token and client-registration store. Every method is asynchronous; implementations copy values
 * in and out (a caller mutating a returned object changes nothing stored).
 *
 * `withLock` serializes work on one key: inside one process for the memory store, across processes
 * for the file store. It is not re-entrant: calling `withLock` for the same key inside `fn` waits for
 * itself and times out. Callers must re-read the store after taking the lock (another holder may
 * have just rotated the refresh token); `refreshSingleFlight` does this.
 *
 * Misuse (a key or tokens of the wrong shape, tokens whose `issuer`/`resource`/`client_id` differ
 * from the key) throws a `TypeError` with an `ERR_INVALID_ARG_…` code.
 */
export interface TokenStore {
  /** The tokens stored under `key`, or `undefined`. Unreadable data rejects with `TokenStoreError`. */
  get(key: StoreKey): Promise<StoredTokens | undefined>;
  /** Stores `tokens` under `key`, replacing what was there. */
  set(key: StoreKey, tokens: StoredTokens): Promise<void>;
  /** Removes the tokens under `key`; no error when there are none. */
  delete(key: StoreKey): Promise<void>;
  /** Every stored entry, without token values. */
  list(): Promise<StoreListing>;
  /** Runs `fn` holding the lock for `key` and releases it afterwards, whatever `fn` does. */
  withLock<T>(key: StoreKey, fn: () => Promise<T>, options?: LockOptions): Promise<T>;
  /** The client registration kept for the authorization server `issuer`, or `undefined`. */
  getClient(issuer: string): Promise<ClientRegistration | undefined>;
  /** Keeps `registration` for `issuer` (its `issuer` field must be the same). */
  setClient(issuer: string, registration: ClientRegistration): Promise<void>;
  /** Forgets the registration for `issuer`; no error when there is none. */
  deleteClient(issuer: string): Promise<void>;
}
