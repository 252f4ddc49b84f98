import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenStoreLockTimeout } from './errors.js';
import { createFileStore } from './file-store.js';
import type { StoreKey } from './types.js';

const KEY: StoreKey = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'client-1',
};

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-lock-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** The lease file name of KEY (found by holding the lock once). */
async function leasePath(): Promise<string> {
  const store = createFileStore({ directory });
  const name = await store.withLock(KEY, async () =>
    (await readdir(directory)).find((n) => n.endsWith('.lock')),
  );
  return join(directory, name!);
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}

describe('file store withLock', () => {
  it('holds a lease file (0600, with pid, host, time and owner) only while fn runs', async () => {
    const store = createFileStore({ directory });
    const seen = await store.withLock(KEY, async () => {
      const name = (await readdir(directory)).find((n) => n.endsWith('.lock'))!;
      return JSON.parse(await readFile(join(directory, name), 'utf8'));
    });
    expect(seen).toMatchObject({ pid: process.pid, host: hostname(), owner: expect.any(String) });
    expect(typeof seen.created).toBe('number');
    expect((await readdir(directory)).filter((n) => n.endsWith('.lock'))).toEqual([]);
  });

  it('two concurrent withLock calls in one process (two store instances) run one after the other', async () => {
    const events: string[] = [];
    const run = (store: ReturnType<typeof createFileStore>, name: string) =>
      store.withLock(KEY, async () => {
        events.push(`${name}:start`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push(`${name}:end`);
      });
    await Promise.all([
      run(createFileStore({ directory }), 'a'),
      run(createFileStore({ directory }), 'b'),
      run(createFileStore({ directory }), 'c'),
    ]);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace(':start', '')).toBe(events[i + 1]?.replace(':end', ''));
    }
    expect(events).toHaveLength(6);
  });

  it('breaks a lease older than the TTL', async () => {
    const path = await leasePath();
    const old = Date.now() - 120_000;
    await writeFile(
      path,
      JSON.stringify({ pid: process.pid, host: hostname(), created: old, owner: 'ghost' }),
    );
    await utimes(path, new Date(old), new Date(old));
    const store = createFileStore({ directory, leaseTtlMs: 60_000 });
    expect(await store.withLock(KEY, async () => 'got it', { timeoutMs: 2_000 })).toBe('got it');
  });

  it('breaks a fresh lease whose process on this host no longer exists', async () => {
    const path = await leasePath();
    const pid = await deadPid();
    await writeFile(path, JSON.stringify({ pid, host: hostname(), created: Date.now(), owner: 'dead' }));
    const store = createFileStore({ directory });
    expect(await store.withLock(KEY, async () => 'got it', { timeoutMs: 2_000 })).toBe('got it');
  });

  it('waits for a live lease and fails with TokenStoreLockTimeout naming the lease file', async () => {
    const path = await leasePath();
    const live = JSON.stringify({ pid: process.pid, host: hostname(), created: Date.now(), owner: 'live' });
    await writeFile(path, live);
    const store = createFileStore({ directory });
    const error = await store.withLock(KEY, async () => 'never', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreLockTimeout);
    expect(error).toMatchObject({ code: 'ERR_STORE_LOCK_TIMEOUT', path, timeoutMs: 100 });
    expect(await readFile(path, 'utf8')).toBe(live);
  });

  it('a lease on another host is not judged by pid', async () => {
    const path = await leasePath();
    const pid = await deadPid();
    await writeFile(
      path,
      JSON.stringify({ pid, host: `not-${hostname()}`, created: Date.now(), owner: 'remote' }),
    );
    const store = createFileStore({ directory });
    await expect(store.withLock(KEY, async () => 'never', { timeoutMs: 100 })).rejects.toBeInstanceOf(
      TokenStoreLockTimeout,
    );
  });

  it('removes only its own lease: one that replaced it is left in place', async () => {
    const store = createFileStore({ directory });
    const path = await leasePath();
    const foreign = JSON.stringify({
      pid: process.pid,
      host: hostname(),
      created: Date.now(),
      owner: 'other',
    });
    await store.withLock(KEY, async () => {
      await writeFile(path, foreign);
    });
    expect(await readFile(path, 'utf8')).toBe(foreign);
  });

  it('releases the lease when fn throws', async () => {
    const store = createFileStore({ directory });
    await expect(
      store.withLock(KEY, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await readdir(directory)).filter((n) => n.endsWith('.lock'))).toEqual([]);
  });
});
