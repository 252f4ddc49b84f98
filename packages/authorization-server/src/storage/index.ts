/**
 * The storage adapters of the authorization server: the contract every adapter implements, and
 * the memory, SQLite and PostgreSQL adapters.
 */

export * from './contract.js';
export {
  type CopyReport,
  CopySourceError,
  type CopySqliteToPostgresOptions,
  CopyTargetNotEmpty,
  copySqliteToPostgres,
} from './copy-sqlite-to-postgres.js';
export { createMemoryStorage, type MemoryStorageOptions } from './memory.js';
export { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from './postgres.js';
export {
  PostgresOpenError,
  redactConnectionString,
  StorageUnavailable,
} from './postgres-errors.js';
export { latestPostgresSchemaVersion, type MigrationResult } from './postgres-migrations.js';
export {
  openSqliteStorage,
  type SqliteStorage,
  type SqliteStorageOptions,
  StorageOpenError,
} from './sqlite.js';
export { latestSchemaVersion, SchemaTooNew } from './sqlite-migrations.js';
