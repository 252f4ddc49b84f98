import { describe, expect, it } from 'vitest';
import { principalKey } from './principal.js';
import { SessionPool } from './session-pool.js';
import { UpstreamUnavailableError } from './upstream.js';

function countingPool(options: { maxSessions?: number; failFor?: string } = {}) {
  const opened: string[] = [];
  const closed: string[] = [];
  const pool = new SessionPool<{ id: string; close(): Promise<void> }>({
    maxSessions: options.maxSessions ?? 10,
    idleTimeoutMs: 60_000,
    noun: 'upstream processes',
    limitFlag: '--max-processes',
    open: async (principal) => {
      const id = `${principal?.subject}#${opened.length}`;
      opened.push(id);
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (principal?.subject === options.failFor) throw new Error('spawn failed');
      return { id, close: async () => void closed.push(id) };
    },
  });
  return { pool, opened, closed };
}

describe('SessionPool', () => {
  it('opens one session for concurrent first requests of one principal, one per principal', async () => {
    const { pool, opened } = countingPool();
    const alice = { issuer: 'https://as', subject: 'alice', clientId: 'c' };
    const leases = await Promise.all([
      pool.acquire(alice),
      pool.acquire(alice),
      pool.acquire({ ...alice, subject: 'bob' }),
    ]);
    expect(opened).toHaveLength(2);
    expect(leases[0]?.session).toBe(leases[1]?.session);
    expect(leases[2]?.session).not.toBe(leases[0]?.session);
    for (const lease of leases) lease.release();
  });

  it('keys principals by issuer, subject and client together, without ambiguity', () => {
    expect(principalKey({ issuer: 'a', subject: 'b', clientId: 'c' })).not.toBe(
      principalKey({ issuer: 'a', subject: 'b', clientId: 'd' }),
    );
    expect(principalKey({ issuer: 'a|b', subject: 'c' })).not.toBe(
      principalKey({ issuer: 'a', subject: 'b|c' }),
    );
    expect(principalKey({ issuer: 'x', subject: 's' })).not.toBe(principalKey({ issuer: 'y', subject: 's' }));
  });

  it('refuses one principal too many with a 503 error, and frees the slot of a failed opening', async () => {
    const { pool } = countingPool({ maxSessions: 1, failFor: 'broken' });
    await expect(pool.acquire({ subject: 'broken' })).rejects.toThrow('spawn failed');
    const lease = await pool.acquire({ subject: 'alice' });
    const refused = await pool.acquire({ subject: 'bob' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpstreamUnavailableError);
    expect(refused).toMatchObject({ status: 503, retryAfter: 30 });
    lease.release();
  });

  it('closes every session on close() and refuses new requests afterwards', async () => {
    const { pool, closed } = countingPool();
    (await pool.acquire({ subject: 'a' })).release();
    (await pool.acquire({ subject: 'b' })).release();
    await pool.close();
    expect(closed.sort()).toEqual(['a#0', 'b#1']);
    await expect(pool.acquire({ subject: 'c' })).rejects.toMatchObject({ status: 503 });
  });
});
