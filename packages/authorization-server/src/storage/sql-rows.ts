/**
 * The rows of the SQL adapters (SQLite and PostgreSQL share one schema, see the migrations) and
 * their mapping to the records of `contract.ts`. The SQL itself differs per engine and stays with
 * each adapter.
 */

import type { AccountRecord, KeyRecord, KeyUse, ModelPayload, ModelRecord } from './contract.js';
import { expiresAtFrom, payloadFromJson, payloadToJson } from './internal.js';

/** A row of `accounts`. */
export interface AccountRow {
  id: string;
  username: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
  failed_attempts: number;
  locked_until: number | null;
  upstream_issuer: string | null;
  upstream_subject: string | null;
}

/** The columns of {@link AccountRow}, in the order of the INSERTs. */
export const ACCOUNT_COLUMNS =
  'id, username, password_hash, created_at, updated_at, failed_attempts, locked_until, upstream_issuer, upstream_subject';

/** The account record of a row. */
export function toAccount(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    failedAttempts: row.failed_attempts,
    lockedUntil: row.locked_until,
    upstream:
      row.upstream_issuer !== null && row.upstream_subject !== null
        ? { issuer: row.upstream_issuer, subject: row.upstream_subject }
        : null,
  };
}

/** A row of `keys` (without its insertion order `seq`). */
export interface KeyRow {
  kid: string;
  key_use: KeyUse;
  material: string;
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

/** The key record of a row. */
export function toKey(row: KeyRow): KeyRecord {
  return {
    kid: row.kid,
    use: row.key_use,
    material: row.material,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    expiresAt: row.expires_at,
  };
}

/**
 * The values of an `oidc_models` row for an upsert, in the column order `model, id, payload,
 * grant_id, user_code, uid, expires_at, consumed_at`: the payload as JSON plus the fields the
 * lookups and `revokeByGrantId` use, each `null` unless the payload holds a string (a finite
 * number for `consumed`).
 */
export function modelRowValues(
  model: string,
  id: string,
  payload: ModelPayload,
  now: number,
  expiresInSeconds: number | undefined,
): (string | number | null)[] {
  const json = payloadToJson(model, payload);
  const text = (field: 'grantId' | 'userCode' | 'uid'): string | null =>
    typeof payload[field] === 'string' ? (payload[field] as string) : null;
  const consumed = payload.consumed;
  return [
    model,
    id,
    json,
    text('grantId'),
    text('userCode'),
    text('uid'),
    expiresAtFrom(now, expiresInSeconds),
    typeof consumed === 'number' && Number.isFinite(consumed) ? consumed : null,
  ];
}

/** A row of `oidc_models` as `list()` reads it. */
export interface ModelListRow {
  id: string;
  payload: string;
  consumed_at: number | null;
  expires_at: number | null;
}

/** The model record of a listed row of `model`. */
export function toModelRecord(model: string, row: ModelListRow): ModelRecord {
  return {
    id: row.id,
    payload: payloadFromJson(model, row.payload, row.consumed_at),
    expiresAt: row.expires_at,
  };
}
