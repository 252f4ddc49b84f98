import { errors } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../storage/postgres-errors.js';
import { SqliteWriteError } from '../storage/sqlite-writer.js';
import {
  asProviderCall,
  asStorageUnavailable,
  STORAGE_UNAVAILABLE_DESCRIPTION,
  toProviderError,
} from './storage-errors.js';

describe('toProviderError', () => {
  it('turns StorageUnavailable into an exposed 503 temporarily_unavailable the provider renders as such', () => {
    const cause = new StorageUnavailable('the PostgreSQL database is unavailable (ECONNREFUSED)');
    const mapped = toProviderError(cause) as InstanceType<typeof errors.TemporarilyUnavailable>;
    expect(mapped).toBeInstanceOf(errors.TemporarilyUnavailable);
    expect(mapped).toMatchObject({
      statusCode: 503,
      status: 503,
      expose: true,
      message: 'temporarily_unavailable',
      error_description: STORAGE_UNAVAILABLE_DESCRIPTION,
    });
    expect(mapped.cause).toBe(cause);
  });

  it('leaves every other error alone (the provider answers 500 server_error for those)', async () => {
    const other = new Error('a stored AccessToken record is not valid JSON');
    expect(toProviderError(other)).toBe(other);
    await expect(asProviderCall(Promise.reject(other))).rejects.toBe(other);
    await expect(asProviderCall(Promise.resolve(7))).resolves.toBe(7);
  });

  it.each(['SQLITE_BUSY', 'ERR_SQLITE_WRITER'])(
    'turns a SQLite write failing with %s into the same 503',
    (code) => {
      const cause = new SqliteWriteError(code, 'database is locked');
      const mapped = toProviderError(cause) as InstanceType<typeof errors.TemporarilyUnavailable>;
      expect(mapped).toBeInstanceOf(errors.TemporarilyUnavailable);
      expect(mapped).toMatchObject({ statusCode: 503, expose: true, message: 'temporarily_unavailable' });
      expect(mapped.cause).toBeInstanceOf(StorageUnavailable);
      expect((mapped.cause as StorageUnavailable).cause).toBe(cause);
      // The page routes see the provider's 503 too: it still says "storage unavailable".
      expect(asStorageUnavailable(mapped)).toBe(mapped.cause);
    },
  );

  it('leaves SQLite failures that are not transient (disk full, corruption) as 500 server_error', () => {
    for (const code of ['SQLITE_FULL', 'SQLITE_CORRUPT', 'SQLITE_CONSTRAINT']) {
      const error = new SqliteWriteError(code, 'no');
      expect(toProviderError(error)).toBe(error);
      expect(asStorageUnavailable(error)).toBeUndefined();
    }
  });

  it('does not wrap an error the provider already answers with 503 a second time', () => {
    const once = toProviderError(new StorageUnavailable('down'));
    expect(toProviderError(once)).toBe(once);
  });
});
