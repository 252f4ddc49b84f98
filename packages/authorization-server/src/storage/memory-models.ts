/** The model records of the in-memory adapter (see `memory.ts`). */

import type { ModelPayload, ModelRecord, ModelStore } from './contract.js';
import {
  assertKey,
  assertOptionalSeconds,
  expiresAtFrom,
  isLive,
  payloadFromJson,
  payloadToJson,
} from './internal.js';

interface ModelRow {
  json: string;
  grantId: string | undefined;
  userCode: string | undefined;
  uid: string | undefined;
  expiresAt: number | null;
  consumedAt: number | null;
}

/** A multi-map index: value of an indexed field -> ids of the records holding it. */
class Index {
  readonly #map = new Map<string, Set<string>>();

  add(key: string | undefined, id: string): void {
    if (key === undefined) return;
    let ids = this.#map.get(key);
    if (!ids) {
      ids = new Set();
      this.#map.set(key, ids);
    }
    ids.add(id);
  }

  delete(key: string | undefined, id: string): void {
    if (key === undefined) return;
    const ids = this.#map.get(key);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.#map.delete(key);
  }

  get(key: string): string[] {
    return [...(this.#map.get(key) ?? [])];
  }
}

function indexedString(payload: ModelPayload, field: 'grantId' | 'userCode' | 'uid'): string | undefined {
  const value = payload[field];
  return typeof value === 'string' ? value : undefined;
}

/** A {@link ModelStore} over Maps, with indexes for `grantId`, `userCode` and `uid`. */
export class MemoryModelStore implements ModelStore {
  readonly #rows = new Map<string, ModelRow>();
  readonly #byGrant = new Index();
  readonly #byUserCode = new Index();
  readonly #byUid = new Index();
  readonly #name: string;
  readonly #now: () => number;
  readonly #check: () => void;

  constructor(name: string, now: () => number, check: () => void) {
    this.#name = name;
    this.#now = now;
    this.#check = check;
  }

  async upsert(id: string, payload: ModelPayload, expiresInSeconds?: number): Promise<void> {
    this.#check();
    assertKey(id, 'id');
    assertOptionalSeconds(expiresInSeconds, 'expiresInSeconds');
    const json = payloadToJson(this.#name, payload);
    const consumed = payload.consumed;
    this.#remove(id);
    const row: ModelRow = {
      json,
      grantId: indexedString(payload, 'grantId'),
      userCode: indexedString(payload, 'userCode'),
      uid: indexedString(payload, 'uid'),
      expiresAt: expiresAtFrom(this.#now(), expiresInSeconds),
      consumedAt: typeof consumed === 'number' && Number.isFinite(consumed) ? consumed : null,
    };
    this.#rows.set(id, row);
    this.#byGrant.add(row.grantId, id);
    this.#byUserCode.add(row.userCode, id);
    this.#byUid.add(row.uid, id);
  }

  async find(id: string): Promise<ModelPayload | undefined> {
    this.#check();
    assertKey(id, 'id');
    return this.#read(id);
  }

  async findByUid(uid: string): Promise<ModelPayload | undefined> {
    this.#check();
    assertKey(uid, 'uid');
    return this.#first(this.#byUid.get(uid));
  }

  async findByUserCode(userCode: string): Promise<ModelPayload | undefined> {
    this.#check();
    assertKey(userCode, 'userCode');
    return this.#first(this.#byUserCode.get(userCode));
  }

  async consume(id: string): Promise<boolean> {
    this.#check();
    assertKey(id, 'id');
    const row = this.#rows.get(id);
    // The first consumption wins, as in the SQL adapters' `WHERE consumed_at IS NULL`.
    if (!row || row.consumedAt !== null) return false;
    row.consumedAt = this.#now();
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#check();
    assertKey(id, 'id');
    this.#remove(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#check();
    assertKey(grantId, 'grantId');
    for (const id of this.#byGrant.get(grantId)) this.#remove(id);
  }

  async list(): Promise<ModelRecord[]> {
    this.#check();
    const now = this.#now();
    const records: ModelRecord[] = [];
    for (const [id, row] of this.#rows) {
      if (!isLive(row.expiresAt, now)) continue;
      records.push({
        id,
        payload: payloadFromJson(this.#name, row.json, row.consumedAt),
        expiresAt: row.expiresAt,
      });
    }
    // Code-unit order, as SQLite's default BINARY collation sorts.
    return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Deletes expired rows; returns how many went. */
  purge(now: number): number {
    let count = 0;
    for (const [id, row] of this.#rows) {
      if (!isLive(row.expiresAt, now)) {
        this.#remove(id);
        count++;
      }
    }
    return count;
  }

  #read(id: string): ModelPayload | undefined {
    const row = this.#rows.get(id);
    if (!row || !isLive(row.expiresAt, this.#now())) return undefined;
    return payloadFromJson(this.#name, row.json, row.consumedAt);
  }

  #first(ids: string[]): ModelPayload | undefined {
    for (const id of ids) {
      const payload = this.#read(id);
      if (payload) return payload;
    }
    return undefined;
  }

  #remove(id: string): void {
    const row = this.#rows.get(id);
    if (!row) return;
    this.#rows.delete(id);
    this.#byGrant.delete(row.grantId, id);
    this.#byUserCode.delete(row.userCode, id);
    this.#byUid.delete(row.uid, id);
  }
}
