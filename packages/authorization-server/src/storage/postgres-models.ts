/**
 * The model records of the PostgreSQL adapter (the `oidc_models` table) and the batched purge of
 * expired rows. Pooling, migrations and the purge timer live in `postgres.ts`.
 */

import type pg from 'pg';
import type { ModelPayload, ModelRecord, ModelStore } from './contract.js';
import { assertKey, assertOptionalSeconds, payloadFromJson } from './internal.js';
import { type ModelListRow, modelRowValues, toModelRecord } from './sql-rows.js';

/** What every store needs: the pooled query, the clock and the "not closed" check. */
export interface PostgresContext {
  /**
   * Runs one statement on a pooled connection as a named (prepared once per connection)
   * statement. Connection failures reject with `StorageUnavailable`; with `retry`, a statement
   * that met a dropped connection is tried once more on a fresh one (only for statements that are
   * safe to repeat).
   */
  query<R extends pg.QueryResultRow>(
    sql: string,
    values: unknown[],
    retry: boolean,
  ): Promise<pg.QueryResult<R>>;
  now(): number;
  check(): void;
}

/** The SQL condition for a row that has not expired, with `now` as parameter `$n`. */
export function live(n: number): string {
  return `(expires_at IS NULL OR expires_at > $${n})`;
}

const UPSERT = `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
    user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
    consumed_at = excluded.consumed_at`;

/** A {@link ModelStore} over the `oidc_models` table. */
export class PostgresModelStore implements ModelStore {
  readonly #ctx: PostgresContext;
  readonly #name: string;

  constructor(ctx: PostgresContext, name: string) {
    this.#ctx = ctx;
    this.#name = name;
  }

  async upsert(id: string, payload: ModelPayload, expiresInSeconds?: number): Promise<void> {
    this.#ctx.check();
    assertKey(id, 'id');
    assertOptionalSeconds(expiresInSeconds, 'expiresInSeconds');
    await this.#ctx.query(
      UPSERT,
      modelRowValues(this.#name, id, payload, this.#ctx.now(), expiresInSeconds),
      true,
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
    // One UPDATE: PostgreSQL row locking makes the first committer the only one that matches
    // `consumed_at IS NULL`; a concurrent UPDATE re-checks the condition and changes nothing.
    // Never retried: a repeat after a lost reply would report `false` for the winner.
    const result = await this.#ctx.query(
      'UPDATE oidc_models SET consumed_at = $1 WHERE model = $2 AND id = $3 AND consumed_at IS NULL',
      [this.#ctx.now(), this.#name, id],
      false,
    );
    return (result.rowCount ?? 0) > 0;
  }

  async destroy(id: string): Promise<void> {
    this.#ctx.check();
    assertKey(id, 'id');
    await this.#ctx.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [this.#name, id], true);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#ctx.check();
    assertKey(grantId, 'grantId');
    await this.#ctx.query(
      'DELETE FROM oidc_models WHERE model = $1 AND grant_id = $2',
      [this.#name, grantId],
      true,
    );
  }

  async list(): Promise<ModelRecord[]> {
    this.#ctx.check();
    // COLLATE "C": byte order, as SQLite and the memory adapter sort, whatever the database locale.
    const result = await this.#ctx.query<ModelListRow>(
      `SELECT id, payload, consumed_at, expires_at FROM oidc_models WHERE model = $1 AND ${live(2)}
       ORDER BY id COLLATE "C"`,
      [this.#name, this.#ctx.now()],
      true,
    );
    return result.rows.map((row) => toModelRecord(this.#name, row));
  }

  async #one(column: 'id' | 'uid' | 'user_code', value: string): Promise<ModelPayload | undefined> {
    const result = await this.#ctx.query<{ payload: string; consumed_at: number | null }>(
      `SELECT payload, consumed_at FROM oidc_models WHERE model = $1 AND ${column} = $2 AND ${live(3)} LIMIT 1`,
      [this.#name, value, this.#ctx.now()],
      true,
    );
    const row = result.rows[0];
    return row && payloadFromJson(this.#name, row.payload, row.consumed_at);
  }
}

/** The tables with an `expires_at` column, and the key that identifies one of their rows. */
const EXPIRING_TABLES = [
  { table: 'oidc_models', key: ['model', 'id'] },
  { table: 'keys', key: ['kid'] },
  { table: 'settings', key: ['name'] },
] as const;

/**
 * Deletes every expired model record, key and setting, `batchSize` rows per statement, and
 * resolves with the count. Each batch is its own short transaction that skips rows other
 * sessions hold locked (`FOR UPDATE SKIP LOCKED`), so a purge never holds many locks, never waits
 * behind a request, and instances purging at the same moment share the work instead of queueing.
 */
export async function purgeExpiredRows(
  ctx: PostgresContext,
  now: number,
  batchSize: number,
): Promise<number> {
  let count = 0;
  for (const { table, key } of EXPIRING_TABLES) {
    const columns = key.join(', ');
    const join = key.map((k) => `t.${k} = d.${k}`).join(' AND ');
    const sql = `DELETE FROM ${table} t USING (
        SELECT ${columns} FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= $1
        LIMIT $2 FOR UPDATE SKIP LOCKED
      ) d WHERE ${join}`;
    for (;;) {
      ctx.check();
      const deleted = (await ctx.query(sql, [now, batchSize], true)).rowCount ?? 0;
      count += deleted;
      if (deleted < batchSize) break;
    }
  }
  return count;
}
