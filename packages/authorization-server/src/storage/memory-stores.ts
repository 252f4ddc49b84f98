/** Accounts, keys and settings of the in-memory adapter (see `memory.ts`). */

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
  isLive,
  usernameKey,
} from './internal.js';

interface KeyRow {
  record: KeyRecord;
  seq: number;
}

interface SettingRow {
  value: string;
  expiresAt: number | null;
}

function copyAccount(account: AccountRecord): AccountRecord {
  return {
    id: account.id,
    username: account.username,
    passwordHash: account.passwordHash,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    failedAttempts: account.failedAttempts,
    lockedUntil: account.lockedUntil,
    upstream: account.upstream
      ? { issuer: account.upstream.issuer, subject: account.upstream.subject }
      : null,
  };
}

function upstreamKey(issuer: string, subject: string): string {
  return JSON.stringify([issuer, subject]);
}

/** An {@link AccountStore} over a Map (lookups other than by id scan it: accounts are few). */
export class MemoryAccountStore implements AccountStore {
  readonly #byId = new Map<string, AccountRecord>();
  readonly #check: () => void;

  constructor(check: () => void) {
    this.#check = check;
  }

  async create(account: AccountRecord): Promise<void> {
    this.#check();
    assertAccountRecord(account);
    const record = copyAccount(account);
    if (this.#byId.has(record.id)) throw new AccountConflict('an account with this id already exists');
    this.#assertFree(record, undefined);
    this.#byId.set(record.id, record);
  }

  async findById(id: string): Promise<AccountRecord | undefined> {
    this.#check();
    assertKey(id, 'id');
    const record = this.#byId.get(id);
    return record && copyAccount(record);
  }

  async findByUsername(username: string): Promise<AccountRecord | undefined> {
    this.#check();
    assertKey(username, 'username');
    const key = usernameKey(username);
    for (const record of this.#byId.values()) {
      if (usernameKey(record.username) === key) return copyAccount(record);
    }
    return undefined;
  }

  async findByUpstream(issuer: string, subject: string): Promise<AccountRecord | undefined> {
    this.#check();
    assertKey(issuer, 'issuer');
    assertKey(subject, 'subject');
    const key = upstreamKey(issuer, subject);
    for (const record of this.#byId.values()) {
      if (record.upstream && upstreamKey(record.upstream.issuer, record.upstream.subject) === key) {
        return copyAccount(record);
      }
    }
    return undefined;
  }

  async list(): Promise<AccountRecord[]> {
    this.#check();
    return [...this.#byId.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copyAccount);
  }

  async count(): Promise<number> {
    this.#check();
    return this.#byId.size;
  }

  async update(id: string, changes: AccountChanges, now: number): Promise<boolean> {
    this.#check();
    assertKey(id, 'id');
    assertChanges(changes);
    assertSeconds(now, 'now');
    const current = this.#byId.get(id);
    if (!current) return false;
    const next = copyAccount({
      ...current,
      ...(changes.passwordHash !== undefined && { passwordHash: changes.passwordHash }),
      ...(changes.failedAttempts !== undefined && { failedAttempts: changes.failedAttempts }),
      ...(changes.lockedUntil !== undefined && { lockedUntil: changes.lockedUntil }),
      ...(changes.upstream !== undefined && { upstream: changes.upstream }),
      updatedAt: now,
    });
    this.#assertFree(next, id);
    this.#byId.set(id, next);
    return true;
  }

  async remove(id: string): Promise<boolean> {
    this.#check();
    assertKey(id, 'id');
    return this.#byId.delete(id);
  }

  /** Throws AccountConflict when another account holds the username or upstream identity. */
  #assertFree(record: AccountRecord, self: string | undefined): void {
    const name = usernameKey(record.username);
    for (const other of this.#byId.values()) {
      if (other.id === self) continue;
      if (usernameKey(other.username) === name) throw new AccountConflict('the username is already taken');
      if (
        record.upstream &&
        other.upstream &&
        other.upstream.issuer === record.upstream.issuer &&
        other.upstream.subject === record.upstream.subject
      ) {
        throw new AccountConflict('the upstream identity is already linked to another account');
      }
    }
  }
}

function copyKey(key: KeyRecord): KeyRecord {
  return {
    kid: key.kid,
    use: key.use,
    material: key.material,
    createdAt: key.createdAt,
    retiredAt: key.retiredAt,
    expiresAt: key.expiresAt,
  };
}

/** A {@link KeyStore} over a Map; `seq` keeps insertion order for ties on `createdAt`. */
export class MemoryKeyStore implements KeyStore {
  readonly #rows = new Map<string, KeyRow>();
  #seq = 0;
  readonly #now: () => number;
  readonly #check: () => void;

  constructor(now: () => number, check: () => void) {
    this.#now = now;
    this.#check = check;
  }

  async list(use: KeyUse): Promise<KeyRecord[]> {
    this.#check();
    assertUse(use);
    const now = this.#now();
    return [...this.#rows.values()]
      .filter((row) => row.record.use === use && isLive(row.record.expiresAt, now))
      .sort((a, b) => b.record.createdAt - a.record.createdAt || b.seq - a.seq)
      .map((row) => copyKey(row.record));
  }

  async insert(key: KeyRecord): Promise<boolean> {
    this.#check();
    assertKeyRecord(key);
    if (this.#rows.has(key.kid)) return false;
    this.#rows.set(key.kid, { record: copyKey(key), seq: ++this.#seq });
    return true;
  }

  async retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean> {
    this.#check();
    assertKey(kid, 'kid');
    assertSeconds(retiredAt, 'retiredAt');
    assertSeconds(expiresAt, 'expiresAt');
    const row = this.#rows.get(kid);
    if (!row || !isLive(row.record.expiresAt, this.#now())) return false;
    row.record = { ...row.record, retiredAt, expiresAt };
    return true;
  }

  purge(now: number): number {
    let count = 0;
    for (const [kid, row] of this.#rows) {
      if (!isLive(row.record.expiresAt, now)) {
        this.#rows.delete(kid);
        count++;
      }
    }
    return count;
  }
}

/** A {@link SettingStore} over a Map. */
export class MemorySettingStore implements SettingStore {
  readonly #rows = new Map<string, SettingRow>();
  readonly #now: () => number;
  readonly #check: () => void;

  constructor(now: () => number, check: () => void) {
    this.#now = now;
    this.#check = check;
  }

  async get(name: string): Promise<string | undefined> {
    this.#check();
    assertKey(name, 'name');
    const row = this.#rows.get(name);
    return row && isLive(row.expiresAt, this.#now()) ? row.value : undefined;
  }

  async set(name: string, value: string, expiresAt?: number): Promise<void> {
    this.#check();
    assertKey(name, 'name');
    assertString(value, 'value');
    assertOptionalSeconds(expiresAt, 'expiresAt');
    this.#rows.set(name, { value, expiresAt: expiresAt ?? null });
  }

  async delete(name: string): Promise<boolean> {
    this.#check();
    assertKey(name, 'name');
    const row = this.#rows.get(name);
    if (!row || !isLive(row.expiresAt, this.#now())) return false;
    this.#rows.delete(name);
    return true;
  }

  purge(now: number): number {
    let count = 0;
    for (const [name, row] of this.#rows) {
      if (!isLive(row.expiresAt, now)) {
        this.#rows.delete(name);
        count++;
      }
    }
    return count;
  }
}
