/**
 * The model records of the SQLite adapter (the `oidc_models` table) and the purge of expired rows.
 * Opening, pragmas, file modes and the purge timer live in `sqlite.ts`.
 */

import type BetterSqlite3 from 'better-sqlite3';
import type { ModelPayload, ModelStore } from './contract.js';
import {
  assertKey,
  assertOptionalSeconds,
  expiresAtFrom,
  payloadFromJson,
  payloadToJson,
} from './internal.js';

/** What every store needs: cached statements, the clock and the "not closed" check. */
export interface SqliteContext {
  /** A prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): BetterSqlite3.Statement;
  readonly db: BetterSqlite3.Database;
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
    const json = payloadToJson(this.#name, payload);
    const text = (field: 'grantId' | 'userCode' | 'uid'): string | null =>
      typeof payload[field] === 'string' ? (payload[field] as string) : null;
    const consumed = payload.consumed;
    this.#ctx
      .statement(
        `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
           consumed_at = excluded.consumed_at`,
      )
      .run(
        this.#name,
        id,
        json,
        text('grantId'),
        text('userCode'),
        text('uid'),
        expiresAtFrom(this.#ctx.now(), expiresInSeconds),
        typeof consumed === 'number' && Number.isFinite(consumed) ? consumed : null,
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

  async consume(id: string): Promise<void> {
    this.#ctx.check();
    assertKey(id, 'id');
    // One UPDATE: atomic, and the first consumption wins.
    this.#ctx
      .statement('UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL')
      .run(this.#ctx.now(), this.#name, id);
  }

  async destroy(id: string): Promise<void> {
    this.#ctx.check();
    assertKey(id, 'id');
    this.#ctx.statement('DELETE FROM oidc_models WHERE model = ? AND id = ?').run(this.#name, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#ctx.check();
    assertKey(grantId, 'grantId');
    this.#ctx.statement('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?').run(this.#name, grantId);
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

/** Deletes every expired model record, key and setting in one transaction; returns the count. */
export function purgeExpiredRows(ctx: SqliteContext, now: number): number {
  const purge = ctx.db.transaction((): number => {
    let count = 0;
    for (const table of ['oidc_models', 'keys', 'settings']) {
      count += ctx
        .statement(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`)
        .run(now).changes;
    }
    return count;
  });
  return purge.immediate();
}
