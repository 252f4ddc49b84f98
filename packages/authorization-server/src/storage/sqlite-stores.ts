/** Accounts, keys and settings of the SQLite adapter (see `sqlite.ts`). */

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
import { ACCOUNT_COLUMNS, type AccountRow, type KeyRow, toAccount, toKey } from './sql-rows.js';
import { LIVE, type SqliteContext } from './sqlite-models.js';

/** Turns a UNIQUE / PRIMARY KEY violation on `accounts` into {@link AccountConflict}. */
function conflictFrom(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return error;
  const message = String((error as Error).message);
  if (message.includes('username_key')) return new AccountConflict('the username is already taken');
  if (message.includes('upstream')) {
    return new AccountConflict('the upstream identity is already linked to another account');
  }
  return new AccountConflict('an account with this id already exists');
}

/** An {@link AccountStore} over the `accounts` table. */
export class SqliteAccountStore implements AccountStore {
  readonly #ctx: SqliteContext;

  constructor(ctx: SqliteContext) {
    this.#ctx = ctx;
  }

  async create(account: AccountRecord): Promise<void> {
    this.#ctx.check();
    assertAccountRecord(account);
    try {
      this.#ctx
        .statement(
          `INSERT INTO accounts (${ACCOUNT_COLUMNS}, username_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        );
    } catch (error) {
      throw conflictFrom(error);
    }
  }

  async findById(id: string): Promise<AccountRecord | undefined> {
    this.#ctx.check();
    assertKey(id, 'id');
    return this.#byId(id);
  }

  async findByUsername(username: string): Promise<AccountRecord | undefined> {
    this.#ctx.check();
    assertKey(username, 'username');
    const row = this.#ctx
      .statement(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE username_key = ?`)
      .get(usernameKey(username)) as AccountRow | undefined;
    return row && toAccount(row);
  }

  async findByUpstream(issuer: string, subject: string): Promise<AccountRecord | undefined> {
    this.#ctx.check();
    assertKey(issuer, 'issuer');
    assertKey(subject, 'subject');
    const row = this.#ctx
      .statement(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE upstream_issuer = ? AND upstream_subject = ?`)
      .get(issuer, subject) as AccountRow | undefined;
    return row && toAccount(row);
  }

  async list(): Promise<AccountRecord[]> {
    this.#ctx.check();
    const rows = this.#ctx
      .statement(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, id`)
      .all() as AccountRow[];
    return rows.map(toAccount);
  }

  async count(): Promise<number> {
    this.#ctx.check();
    return (this.#ctx.statement('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
  }

  async update(id: string, changes: AccountChanges, now: number): Promise<boolean> {
    this.#ctx.check();
    assertKey(id, 'id');
    assertChanges(changes);
    assertSeconds(now, 'now');
    const apply = this.#ctx.db.transaction((): boolean => {
      const current = this.#byId(id);
      if (!current) return false;
      const upstream = changes.upstream !== undefined ? changes.upstream : current.upstream;
      this.#ctx
        .statement(
          `UPDATE accounts SET password_hash = ?, failed_attempts = ?, locked_until = ?, upstream_issuer = ?,
             upstream_subject = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          changes.passwordHash ?? current.passwordHash,
          changes.failedAttempts ?? current.failedAttempts,
          changes.lockedUntil !== undefined ? changes.lockedUntil : current.lockedUntil,
          upstream?.issuer ?? null,
          upstream?.subject ?? null,
          now,
          id,
        );
      return true;
    });
    try {
      return apply.immediate();
    } catch (error) {
      throw conflictFrom(error);
    }
  }

  async remove(id: string): Promise<boolean> {
    this.#ctx.check();
    assertKey(id, 'id');
    return this.#ctx.statement('DELETE FROM accounts WHERE id = ?').run(id).changes > 0;
  }

  #byId(id: string): AccountRecord | undefined {
    const row = this.#ctx.statement(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`).get(id) as
      | AccountRow
      | undefined;
    return row && toAccount(row);
  }
}

/** A {@link KeyStore} over the `keys` table. */
export class SqliteKeyStore implements KeyStore {
  readonly #ctx: SqliteContext;

  constructor(ctx: SqliteContext) {
    this.#ctx = ctx;
  }

  async list(use: KeyUse): Promise<KeyRecord[]> {
    this.#ctx.check();
    assertUse(use);
    const rows = this.#ctx
      .statement(
        `SELECT kid, key_use, material, created_at, retired_at, expires_at FROM keys
         WHERE key_use = ? AND ${LIVE} ORDER BY created_at DESC, seq DESC`,
      )
      .all(use, this.#ctx.now()) as KeyRow[];
    return rows.map(toKey);
  }

  async insert(key: KeyRecord): Promise<boolean> {
    this.#ctx.check();
    assertKeyRecord(key);
    const result = this.#ctx
      .statement(
        `INSERT INTO keys (kid, key_use, material, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kid) DO NOTHING`,
      )
      .run(key.kid, key.use, key.material, key.createdAt, key.retiredAt, key.expiresAt);
    return result.changes > 0;
  }

  async retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean> {
    this.#ctx.check();
    assertKey(kid, 'kid');
    assertSeconds(retiredAt, 'retiredAt');
    assertSeconds(expiresAt, 'expiresAt');
    const result = this.#ctx
      .statement(`UPDATE keys SET retired_at = ?, expires_at = ? WHERE kid = ? AND ${LIVE}`)
      .run(retiredAt, expiresAt, kid, this.#ctx.now());
    return result.changes > 0;
  }
}

/** A {@link SettingStore} over the `settings` table. */
export class SqliteSettingStore implements SettingStore {
  readonly #ctx: SqliteContext;

  constructor(ctx: SqliteContext) {
    this.#ctx = ctx;
  }

  async get(name: string): Promise<string | undefined> {
    this.#ctx.check();
    assertKey(name, 'name');
    const row = this.#ctx
      .statement(`SELECT value FROM settings WHERE name = ? AND ${LIVE}`)
      .get(name, this.#ctx.now()) as { value: string } | undefined;
    return row?.value;
  }

  async set(name: string, value: string, expiresAt?: number): Promise<void> {
    this.#ctx.check();
    assertKey(name, 'name');
    assertString(value, 'value');
    assertOptionalSeconds(expiresAt, 'expiresAt');
    this.#ctx
      .statement(
        `INSERT INTO settings (name, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      )
      .run(name, value, expiresAt ?? null);
  }

  async delete(name: string): Promise<boolean> {
    this.#ctx.check();
    assertKey(name, 'name');
    return (
      this.#ctx.statement(`DELETE FROM settings WHERE name = ? AND ${LIVE}`).run(name, this.#ctx.now())
        .changes > 0
    );
  }
}
