/** Accounts, keys and settings of the PostgreSQL adapter (see `postgres.ts`). */

import {
  type AccountChanges,
  AccountConflict,
  type AccountRecord,
  type AccountStore,
  type KeyRecord,
  type KeyStore,
  type KeyUse,
  type SettingStore,
} from './contract.js';
import {
  assertAccountRecord,
  assertChanges,
  assertKey,
  assertKeyRecord,
  assertOptionalSeconds,
  assertSeconds,
  assertString,
  assertUse,
  usernameKey,
} from './internal.js';
import { live, type PostgresContext } from './postgres-models.js';
import { ACCOUNT_COLUMNS, type AccountRow, type KeyRow, toAccount, toKey } from './sql-rows.js';

/** Turns a unique violation (SQLSTATE 23505) on `accounts` into {@link AccountConflict}. */
function conflictFrom(error: unknown): unknown {
  if ((error as { code?: unknown } | null)?.code !== '23505') return error;
  const constraint = String((error as { constraint?: unknown }).constraint ?? '');
  if (constraint === 'accounts_username_key') return new AccountConflict('the username is already taken');
  if (constraint === 'accounts_upstream') {
    return new AccountConflict('the upstream identity is already linked to another account');
  }
  return new AccountConflict('an account with this id already exists');
}

/** An {@link AccountStore} over the `accounts` table. */
export class PostgresAccountStore implements AccountStore {
  readonly #ctx: PostgresContext;

  constructor(ctx: PostgresContext) {
    this.#ctx = ctx;
  }

  async create(account: AccountRecord): Promise<void> {
    this.#ctx.check();
    assertAccountRecord(account);
    try {
      // Not retried: a repeat after a lost reply would report the account as a conflict.
      await this.#ctx.query(
        `INSERT INTO accounts (${ACCOUNT_COLUMNS}, username_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          account.id,
          account.username,
          account.passwordHash,
          account.createdAt,
          account.updatedAt,
          account.failedAttempts,
          account.lockedUntil,
          account.upstream?.issuer ?? null,
          account.upstream?.subject ?? null,
          usernameKey(account.username),
        ],
        false,
      );
    } catch (error) {
      throw conflictFrom(error);
    }
  }

  async findById(id: string): Promise<AccountRecord | undefined> {
    this.#ctx.check();
    assertKey(id, 'id');
    return this.#oneWhere('id = $1', [id]);
  }

  async findByUsername(username: string): Promise<AccountRecord | undefined> {
    this.#ctx.check();
    assertKey(username, 'username');
    return this.#oneWhere('username_key = $1', [usernameKey(username)]);
  }

  async findByUpstream(issuer: string, subject: string): Promise<AccountRecord | undefined> {
    this.#ctx.check();
    assertKey(issuer, 'issuer');
    assertKey(subject, 'subject');
    return this.#oneWhere('upstream_issuer = $1 AND upstream_subject = $2', [issuer, subject]);
  }

  async list(): Promise<AccountRecord[]> {
    this.#ctx.check();
    const result = await this.#ctx.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, id`,
      [],
      true,
    );
    return result.rows.map(toAccount);
  }

  async count(): Promise<number> {
    this.#ctx.check();
    const result = await this.#ctx.query<{ n: number }>(
      'SELECT count(*)::integer AS n FROM accounts',
      [],
      true,
    );
    return result.rows[0]?.n ?? 0;
  }

  async update(id: string, changes: AccountChanges, now: number): Promise<boolean> {
    this.#ctx.check();
    assertKey(id, 'id');
    assertChanges(changes);
    assertSeconds(now, 'now');
    // One statement: a field left out keeps its value, `null` clears a nullable one.
    const upstreamGiven = changes.upstream !== undefined;
    try {
      const result = await this.#ctx.query(
        `UPDATE accounts SET
           password_hash = COALESCE($2, password_hash),
           failed_attempts = COALESCE($3, failed_attempts),
           locked_until = CASE WHEN $4::boolean THEN $5::double precision ELSE locked_until END,
           upstream_issuer = CASE WHEN $6::boolean THEN $7::text ELSE upstream_issuer END,
           upstream_subject = CASE WHEN $6::boolean THEN $8::text ELSE upstream_subject END,
           updated_at = $9
         WHERE id = $1`,
        [
          id,
          changes.passwordHash ?? null,
          changes.failedAttempts ?? null,
          changes.lockedUntil !== undefined,
          changes.lockedUntil ?? null,
          upstreamGiven,
          changes.upstream?.issuer ?? null,
          changes.upstream?.subject ?? null,
          now,
        ],
        true,
      );
      return (result.rowCount ?? 0) > 0;
    } catch (error) {
      throw conflictFrom(error);
    }
  }

  async remove(id: string): Promise<boolean> {
    this.#ctx.check();
    assertKey(id, 'id');
    const result = await this.#ctx.query('DELETE FROM accounts WHERE id = $1', [id], false);
    return (result.rowCount ?? 0) > 0;
  }

  async #oneWhere(condition: string, values: unknown[]): Promise<AccountRecord | undefined> {
    const result = await this.#ctx.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE ${condition}`,
      values,
      true,
    );
    const row = result.rows[0];
    return row && toAccount(row);
  }
}

/** A {@link KeyStore} over the `keys` table. */
export class PostgresKeyStore implements KeyStore {
  readonly #ctx: PostgresContext;

  constructor(ctx: PostgresContext) {
    this.#ctx = ctx;
  }

  async list(use: KeyUse): Promise<KeyRecord[]> {
    this.#ctx.check();
    assertUse(use);
    const result = await this.#ctx.query<KeyRow>(
      `SELECT kid, key_use, material, created_at, retired_at, expires_at FROM keys
       WHERE key_use = $1 AND ${live(2)} ORDER BY created_at DESC, seq DESC`,
      [use, this.#ctx.now()],
      true,
    );
    return result.rows.map(toKey);
  }

  async insert(key: KeyRecord): Promise<boolean> {
    this.#ctx.check();
    assertKeyRecord(key);
    // Not retried: a repeat after a lost reply would report `false` for the insert that won.
    const result = await this.#ctx.query(
      `INSERT INTO keys (kid, key_use, material, created_at, retired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kid) DO NOTHING`,
      [key.kid, key.use, key.material, key.createdAt, key.retiredAt, key.expiresAt],
      false,
    );
    return (result.rowCount ?? 0) > 0;
  }

  async retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean> {
    this.#ctx.check();
    assertKey(kid, 'kid');
    assertSeconds(retiredAt, 'retiredAt');
    assertSeconds(expiresAt, 'expiresAt');
    const result = await this.#ctx.query(
      `UPDATE keys SET retired_at = $1, expires_at = $2 WHERE kid = $3 AND ${live(4)}`,
      [retiredAt, expiresAt, kid, this.#ctx.now()],
      true,
    );
    return (result.rowCount ?? 0) > 0;
  }
}

/** A {@link SettingStore} over the `settings` table. */
export class PostgresSettingStore implements SettingStore {
  readonly #ctx: PostgresContext;

  constructor(ctx: PostgresContext) {
    this.#ctx = ctx;
  }

  async get(name: string): Promise<string | undefined> {
    this.#ctx.check();
    assertKey(name, 'name');
    const result = await this.#ctx.query<{ value: string }>(
      `SELECT value FROM settings WHERE name = $1 AND ${live(2)}`,
      [name, this.#ctx.now()],
      true,
    );
    return result.rows[0]?.value;
  }

  async set(name: string, value: string, expiresAt?: number): Promise<void> {
    this.#ctx.check();
    assertKey(name, 'name');
    assertString(value, 'value');
    assertOptionalSeconds(expiresAt, 'expiresAt');
    await this.#ctx.query(
      `INSERT INTO settings (name, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      [name, value, expiresAt ?? null],
      true,
    );
  }

  async delete(name: string): Promise<boolean> {
    this.#ctx.check();
    assertKey(name, 'name');
    const result = await this.#ctx.query(
      `DELETE FROM settings WHERE name = $1 AND ${live(2)}`,
      [name, this.#ctx.now()],
      false,
    );
    return (result.rowCount ?? 0) > 0;
  }
}
