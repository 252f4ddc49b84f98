/**
 * The storage contract of the authorization server: everything it keeps lives behind this one
 * interface, so that the memory, SQLite and PostgreSQL adapters are interchangeable and one
 * contract test suite runs against each.
 *
 * Every method is asynchronous (PostgreSQL needs it; SQLite and memory resolve at once). Times are
 * epoch seconds unless a name says otherwise. Adapters never log payloads: they hold tokens.
 */

/**
 * A node-oidc-provider model payload (Session, AccessToken, AuthorizationCode, RefreshToken,
 * DeviceCode, ClientCredentials, Client, InitialAccessToken, RegistrationAccessToken, Interaction,
 * ReplayDetection, PushedAuthorizationRequest, Grant, BackchannelAuthenticationRequest). Opaque to
 * the adapter except for the indexed fields below.
 */
export interface ModelPayload {
  readonly [claim: string]: unknown;
  /** The grant a token or code belongs to (indexed: `revokeByGrantId`). */
  readonly grantId?: string;
  /** Device flow user code (indexed: `findByUserCode`). */
  readonly userCode?: string;
  /** Session uid (indexed: `findByUid`). */
  readonly uid?: string;
  /** Set by `consume`: when a code or token was used (epoch seconds). */
  readonly consumed?: number;
}

/**
 * One node-oidc-provider model's records: the provider's adapter interface
 * (`upsert`, `find`, `findByUid`, `findByUserCode`, `consume`, `destroy`, `revokeByGrantId`).
 * Expired records are never returned, even before they are purged.
 */
export interface ModelStore {
  /** Inserts or replaces a record; `expiresInSeconds` undefined means it never expires. */
  upsert(id: string, payload: ModelPayload, expiresInSeconds?: number): Promise<void>;
  find(id: string): Promise<ModelPayload | undefined>;
  findByUid(uid: string): Promise<ModelPayload | undefined>;
  findByUserCode(userCode: string): Promise<ModelPayload | undefined>;
  /**
   * Marks the record consumed (sets `consumed` to now) unless it already is: the first
   * consumption time is kept. A no-op for an unknown id. Atomic: of several concurrent calls for
   * one id (from one process or many sharing a database), exactly one resolves `true` (it
   * consumed the record); the others, and calls for an unknown id, resolve `false`.
   */
  consume(id: string): Promise<boolean>;
  destroy(id: string): Promise<void>;
  /** Destroys every record of this model that belongs to the grant. */
  revokeByGrantId(grantId: string): Promise<void>;
  /**
   * Every live record of this model, ordered by id: for administration (`gatehouse grants list`,
   * `gatehouse clients list`), not for the provider, which never enumerates. Not paginated: meant
   * for models with few records (Client, Grant), not for tokens on a busy server.
   */
  list(): Promise<ModelRecord[]>;
}

/** One record as {@link ModelStore.list} returns it. */
export interface ModelRecord {
  readonly id: string;
  /** As `find` would return it (with `consumed` when consumed). */
  readonly payload: ModelPayload;
  /** When it expires (epoch seconds), or null for never. */
  readonly expiresAt: number | null;
}

/** A local user account. */
export interface AccountRecord {
  /** Stable, random, never reused: the `sub` of tokens. */
  readonly id: string;
  /** Unique, compared case-insensitively (stored as given, looked up lower-cased). */
  readonly username: string;
  /** A self-describing password hash (`scrypt$…`); empty for accounts that only sign in upstream. */
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Consecutive failed sign-ins since the last success. */
  readonly failedAttempts: number;
  /** Sign-in refused until then (epoch seconds), or null. */
  readonly lockedUntil: number | null;
  /** Upstream identity linked to this account (third-party sign-in), or null. */
  readonly upstream: { readonly issuer: string; readonly subject: string } | null;
}

/** Changes {@link AccountStore.update} may apply. */
export type AccountChanges = Partial<
  Pick<AccountRecord, 'passwordHash' | 'failedAttempts' | 'lockedUntil' | 'upstream'>
>;

/** Raised by {@link AccountStore.create} for a username (case-insensitive) or upstream identity already taken. */
export class AccountConflict extends Error {
  override readonly name = 'AccountConflict';
  readonly code = 'ERR_ACCOUNT_CONFLICT';
}

export interface AccountStore {
  create(account: AccountRecord): Promise<void>;
  findById(id: string): Promise<AccountRecord | undefined>;
  findByUsername(username: string): Promise<AccountRecord | undefined>;
  findByUpstream(issuer: string, subject: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  count(): Promise<number>;
  /** Applies `changes` and sets `updatedAt`; resolves false for an unknown id. */
  update(id: string, changes: AccountChanges, now: number): Promise<boolean>;
  remove(id: string): Promise<boolean>;
}

/** What a key is for. */
export type KeyUse = 'signing' | 'cookie';

/** A persisted key. `material` is secret: a private JWK as JSON (signing) or a base64url secret (cookie). */
export interface KeyRecord {
  readonly kid: string;
  readonly use: KeyUse;
  readonly material: string;
  readonly createdAt: number;
  /** When it stopped being the active key (still verifies / decrypts until `expiresAt`), or null. */
  readonly retiredAt: number | null;
  /** When it may be deleted (nothing signed with it is still valid), or null while active. */
  readonly expiresAt: number | null;
}

export interface KeyStore {
  /** Keys of one use, newest first, excluding those past `expiresAt`. */
  list(use: KeyUse): Promise<KeyRecord[]>;
  /** Inserts a key; resolves false (and changes nothing) if the kid exists. */
  insert(key: KeyRecord): Promise<boolean>;
  /** Marks a key retired; resolves false for an unknown kid. */
  retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean>;
}

/** Small named values with an optional expiry (e.g. the one-time setup token's hash). */
export interface SettingStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string, expiresAt?: number): Promise<void>;
  delete(name: string): Promise<boolean>;
}

/** A storage backend. */
export interface Storage {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /** The records of one node-oidc-provider model (see {@link ModelPayload}). */
  model(name: string): ModelStore;
  readonly accounts: AccountStore;
  readonly keys: KeyStore;
  readonly settings: SettingStore;
  /** Deletes expired model records, keys and settings; resolves with how many rows went. */
  purgeExpired(now?: number): Promise<number>;
  close(): Promise<void>;
}

/** Now, in epoch seconds. */
export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
