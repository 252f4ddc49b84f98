/**
 * The storage adapters of the authorization server: the contract every adapter implements, and
 * the memory and SQLite adapters.
 */

export * from './contract.js';
export { createMemoryStorage, type MemoryStorageOptions } from './memory.js';
export {
  openSqliteStorage,
  type SqliteStorage,
  type SqliteStorageOptions,
  StorageOpenError,
} from './sqlite.js';
export { latestSchemaVersion, SchemaTooNew } from './sqlite-migrations.js';
