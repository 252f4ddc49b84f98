/**
 * Throw-away PostgreSQL databases for tests. The server is the one `GATEHOUSE_TEST_PG` names (CI
 * sets it), by default `postgres://postgres@127.0.0.1:5432/postgres`; each call creates a database
 * with a random name on it, and `drop()` removes it again (terminating any connection left open).
 *
 * Test code only: never import it from a package's `src/` outside of `*.test.ts`.
 *
 * @example
 * const db = await createTestDatabase();
 * const storage = await openPostgresStorage({ connectionString: db.url });
 * // …
 * await storage.close();
 * await db.drop();
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/** The administrative connection string tests create their databases with. */
export const testPostgresUrl: string =
  process.env.GATEHOUSE_TEST_PG || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one test run. */
export interface TestDatabase {
  /** The database name (`gatehouse_test_<random>`). */
  readonly name: string;
  /** A connection string for it (the admin URL with the database name swapped). */
  readonly url: string;
  /** Runs one statement on an administrative connection (to the server's default database). */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  /**
   * Ends every connection to this database that other clients hold (`pg_terminate_backend`), as
   * a server restart would; resolves with how many were ended. `applicationName` narrows it.
   */
  terminateConnections(applicationName?: string): Promise<number>;
  /** Drops the database, terminating whatever is still connected. Idempotent. */
  drop(): Promise<void>;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a random name on the test server. */
export async function createTestDatabase(prefix = 'gatehouse_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  // The name is ours (prefix + hex), so it can be quoted into the statement safely.
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    admin: (sql, values) => withAdmin((client) => client.query(sql, values)),
    async terminateConnections(applicationName?: string): Promise<number> {
      const result = await withAdmin((client) =>
        client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = $1 AND pid <> pg_backend_pid() AND ($2::text IS NULL OR application_name = $2)`,
          [name, applicationName ?? null],
        ),
      );
      return result.rowCount ?? 0;
    },
    async drop(): Promise<void> {
      if (dropped) return;
      dropped = true;
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/**
 * Registers `beforeAll` / `afterAll` hooks that create one database for the enclosing suite and
 * drop it after; the returned getter gives it inside tests.
 */
export function useTestDatabase(prefix?: string): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(prefix);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error('the test database is created in beforeAll: use it inside a test');
    return database;
  };
}
