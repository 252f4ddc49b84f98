/**
 * The model records of the SQLite adapter (the `oidc_models` table) and the purge of expired rows.
 * Opening, pragmas, file modes and the purge timer live in `sqlite.ts`.
 */

import type BetterSqlite3 from 'better-sqlite3';
import type { ModelPayload, ModelRecord, ModelStore } from './contract.js';
import { assertKey, assertOptionalSeconds, payloadFromJson } from './internal.js';
import { type ModelListRow, modelRowValues, toModelRecord } from './sql-rows.js';

/** What every store needs: cached statements, the clock and the "not closed" check. */
export interface SqliteContext {
  /** A prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): BetterSqlite3.Statement;
  readonly db: BetterSqlite3.Database;
  /**
   * Runs a write statement of the model store on the writer thread (`sqlite-writer.ts`); resolves
   * with the number of rows changed, after the commit.
   */
  write(sql: string, params: readonly (string | number | null)[]): Promise<number>;
  now(): number;
  check(): void;
}

/** The SQL condition for a row that has not expired (one `now` parameter). */
export const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/** A {@link ModelStore} over the `oidc_models` table. */
export class SqliteModelStore implements ModelStore {
  readonly #ctx: SqliteContext;
  readonly #name: string;

  constructor(ctx: SqliteContext, name: string) {
    this.#ctx = ctx;
    this.#name = name;
  }

  async upsert(id: string, payload: ModelPayload, expiresInSeconds?: number): Promise<void> {
    this.#ctx.check();
    assertKey(id, 'id');
    assertOptionalSeconds(expiresInSeconds, 'expiresInSeconds');
    await this.#ctx.write(
      `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
           consumed_at = excluded.consumed_at`,
      modelRowValues(this.#name, id, payload, this.#ctx.now(), expiresInSeconds),
    );
  }

  async find(id: string): Promise<ModelPayload | undefined> {
    this.#ctx.check();
    assertKey(id, 'id');
    return this.#one('id', id);
  }

  async findByUid(uid: string): Promise<ModelPayload | undefined> {
    this.#ctx.check();
    assertKey(uid, 'uid');
    return this.#one('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<ModelPayload | undefined> {
    this.#ctx.check();
    assertKey(userCode, 'userCode');
    return this.#one('user_code', userCode);
  }

  async consume(id: string): Promise<boolean> {
    this.#ctx.check();
    assertKey(id, 'id');
    // One UPDATE: atomic, and the first consumption wins.
    const changes = await this.#ctx.write(
      'UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL',
      [this.#ctx.now(), this.#name, id],
    );
    return changes > 0;
  }

  async destroy(id: string): Promise<void> {
    this.#ctx.check();
    assertKey(id, 'id');
    await this.#ctx.write('DELETE FROM oidc_models WHERE model = ? AND id = ?', [this.#name, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#ctx.check();
    assertKey(grantId, 'grantId');
    await this.#ctx.write('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?', [this.#name, grantId]);
  }

  async list(): Promise<ModelRecord[]> {
    this.#ctx.check();
    const rows = this.#ctx
      .statement(
        `SELECT id, payload, consumed_at, expires_at FROM oidc_models WHERE model = ? AND ${LIVE} ORDER BY id`,
      )
      .all(this.#name, this.#ctx.now()) as ModelListRow[];
    return rows.map((row) => toModelRecord(this.#name, row));
  }

  #one(column: 'id' | 'uid' | 'user_code', value: string): ModelPayload | undefined {
    const row = this.#ctx
      .statement(
        `SELECT payload, consumed_at FROM oidc_models WHERE model = ? AND ${column} = ? AND ${LIVE} LIMIT 1`,
      )
      .get(this.#name, value, this.#ctx.now()) as { payload: string; consumed_at: number | null } | undefined;
    return row && payloadFromJson(this.#name, row.payload, row.consumed_at);
  }
}

/**
 * Deletes every expired model record, key and setting, on the writer thread (the three statements
 * are sent together, so they commit together); resolves with the count.
 */
export async function purgeExpiredRows(ctx: SqliteContext, now: number): Promise<number> {
  const counts = await Promise.all(
    ['oidc_models', 'keys', 'settings'].map((table) =>
      ctx.write(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`, [now]),
    ),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
