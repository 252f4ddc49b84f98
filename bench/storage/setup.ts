/** What the storage benchmark's parent (index.ts) and its servers process (servers.ts) share. */
import type { TokenTarget } from '../support/token-load.ts';

/** Refresh tokens (each with its grant) stored beforehand in the `-1m` stores. Env: BENCH_STORED_TOKENS. */
export const STORED = Number(process.env.BENCH_STORED_TOKENS ?? 1_000_000);

/** The servers, one per storage, in the order the parent reports them. */
export const TARGET_NAMES = ['sqlite', 'postgres', 'sqlite-1m', 'postgres-1m'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The line the servers process prints when it is ready. */
export interface Setup {
  targets: Record<TargetName, TokenTarget>;
  controlUrl: string;
  /** Seconds each bulk insert took, for the report. */
  seeded: Record<'sqlite' | 'postgres', number>;
  /** What a second instance of the `postgres` target needs (instance.ts). */
  secondInstance: SecondInstance;
}

/** A second instance of the `postgres` target: same database, issuer and resource (instance.ts). */
export interface SecondInstance {
  databaseUrl: string;
  issuer: string;
  resource: string;
  scope: string;
}
