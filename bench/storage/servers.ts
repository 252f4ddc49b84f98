/**
 * Child process of the storage benchmark. Serves, on loopback, one Gatehouse authorization server
 * (`createAuthorizationServer`, issuer `<origin>/oauth`, one resource) per storage:
 *
 * - `sqlite`: SQLite in a temporary directory (the default store);
 * - `postgres`: PostgreSQL, a database created for this run;
 * - `sqlite-1m` and `postgres-1m`: the same, with {@link STORED} refresh tokens (and their
 *   grants) already stored, bulk-inserted straight into `oidc_models` before the server starts
 *   (PostgreSQL: one `INSERT … SELECT generate_series`; SQLite: one recursive-CTE INSERT), each
 *   row shaped like what the provider writes, expiring in 14 days.
 *
 * Each server gets two clients registered through its registration endpoint (RFC 7591): a
 * confidential `client_credentials` client (`client_secret_basic`) and a public native client for
 * the refresh grant. A control endpoint, `POST /mint?target=<name>&count=N`, answers N fresh
 * refresh tokens stored through the provider's models as a code exchange would (one Grant with
 * `offline_access` and the resource scope, then a RefreshToken bound to it).
 *
 * PostgreSQL: `GATEHOUSE_BENCH_PG`, else `GATEHOUSE_TEST_PG`, else
 * `postgres://postgres@127.0.0.1:5432/postgres` (an administrative URL: the databases are created
 * on that server and dropped on exit).
 *
 * Prints one JSON line with the targets (and what a second instance of `postgres` needs, see
 * instance.ts), then serves until SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStorage, openSqliteStorage, type Storage } from '@gatehouse/authorization-server';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  type BenchGatehouse,
  listenMintControl,
  BENCH_SCOPE as SCOPE,
  serveGatehouse,
} from '../support/servers.ts';
import { type Setup, STORED, TARGET_NAMES, type TargetName } from './setup.ts';

const REFRESH_TTL = 14 * 24 * 3600;
const ADMIN_URL =
  process.env.GATEHOUSE_BENCH_PG ||
  process.env.GATEHOUSE_TEST_PG ||
  'postgres://postgres@127.0.0.1:5432/postgres';

// --- bulk seeding ---------------------------------------------------------------------------------

/**
 * The stored rows' SQL, shared by both engines: RefreshToken `rt-<n>` (a 43-character random-looking
 * id, as the provider's) and its Grant, both expiring at `expires`.
 */
function seedSelect(now: number, expires: number, series: string): string {
  const id = "substr(md5('rt' || i) || md5('tr' || i), 1, 43)";
  return `
    SELECT 'RefreshToken', ${id},
      '{"kind":"RefreshToken","jti":"' || ${id} || '","accountId":"stored-account","clientId":"stored-client","grantId":"grant-' || i || '","gty":"authorization_code","scope":"offline_access mcp:tools","resource":"http://127.0.0.1/mcp","rotations":0,"iat":${now},"exp":${expires},"authTime":${now}}',
      'grant-' || i, ${expires}
    FROM ${series}
    UNION ALL
    SELECT 'Grant', 'grant-' || i,
      '{"kind":"Grant","jti":"grant-' || i || '","accountId":"stored-account","clientId":"stored-client","openid":{"scope":"offline_access"},"resources":{"http://127.0.0.1/mcp":"mcp:tools"},"iat":${now},"exp":${expires}}',
      NULL, ${expires}
    FROM ${series}`;
}

async function seedPostgres(url: string, count: number): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = Math.floor(Date.now() / 1000);
    await client.query(
      `INSERT INTO oidc_models (model, id, payload, grant_id, expires_at)
       ${seedSelect(now, now + REFRESH_TTL, `generate_series(1, ${count}) AS s(i)`)}`,
    );
    await client.query('VACUUM ANALYZE oidc_models');
    // Flush the bulk insert now, so its checkpoint does not run during the measured rounds (needs
    // superuser or pg_checkpoint; skipped otherwise).
    await client.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}

function seedSqlite(path: string, count: number): number {
  const started = performance.now();
  const db = new Database(path);
  try {
    // SQLite has no md5(): the ids are hex of a multiplicative hash, as unique and as scattered.
    db.function('md5', { deterministic: true }, (text: unknown) => {
      let h = 0xcbf29ce484222325n;
      for (const byte of Buffer.from(String(text)))
        h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0').repeat(2);
    });
    const now = Math.floor(Date.now() / 1000);
    db.exec(`
      BEGIN;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${count})
      INSERT INTO oidc_models (model, id, payload, grant_id, expires_at)
      ${seedSelect(now, now + REFRESH_TTL, 's')};
      COMMIT;
      ANALYZE;
    `);
  } finally {
    db.close();
  }
  return (performance.now() - started) / 1000;
}

// --- servers --------------------------------------------------------------------------------------

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
const databases: string[] = [];
async function createDatabase(): Promise<string> {
  const name = `gatehouse_bench_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  databases.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-storage-'));
const storages: Storage[] = [];
const served = {} as Record<TargetName, BenchGatehouse>;
const seeded = { sqlite: 0, postgres: 0 };
let postgresUrl = '';

async function cleanup(): Promise<void> {
  await Promise.allSettled(Object.values(served).map((s) => s.server.close()));
  await Promise.allSettled(storages.map((s) => s.close()));
  for (const name of databases)
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
  await admin.end().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}

try {
  for (const name of TARGET_NAMES) {
    let storage: Storage;
    if (name.startsWith('sqlite')) {
      const path = join(dataDir, `${name}.db`);
      storage = openSqliteStorage({ path, purgeIntervalSeconds: 0 });
      if (name === 'sqlite-1m') {
        await storage.close();
        seeded.sqlite = seedSqlite(path, STORED);
        storage = openSqliteStorage({ path, purgeIntervalSeconds: 0 });
      }
    } else {
      const url = await createDatabase();
      if (name === 'postgres') postgresUrl = url;
      storage = await openPostgresStorage({ connectionString: url, purgeIntervalSeconds: 0 });
      if (name === 'postgres-1m') seeded.postgres = await seedPostgres(url, STORED);
    }
    storages.push(storage);
    served[name] = await serveGatehouse(storage);
  }
} catch (error) {
  await cleanup();
  throw error;
}

const controlUrl = await listenMintControl(async (target, count) => {
  if (!TARGET_NAMES.includes(target as TargetName)) return undefined;
  return served[target as TargetName].mint(count);
});

const setup: Setup = {
  targets: Object.fromEntries(TARGET_NAMES.map((name) => [name, served[name].target])) as Setup['targets'],
  controlUrl,
  seeded,
  secondInstance: {
    databaseUrl: postgresUrl,
    issuer: served.postgres.server.issuer,
    resource: served.postgres.target.resource,
    scope: SCOPE,
  },
};
process.stdout.write(`${JSON.stringify(setup)}\n`);

process.once('SIGTERM', () => {
  void cleanup().then(() => process.exit(0));
});
