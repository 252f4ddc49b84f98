import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientRegistration } from '../registration/types.js';
import { TokenStoreError } from './errors.js';
import { createFileStore, defaultStoreDirectory } from './file-store.js';
import type { StoredTokens, StoreKey } from './types.js';

const KEY: StoreKey = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'client-1',
};
const OTHER: StoreKey = { ...KEY, resource: 'https://other.example/mcp' };

function tokensFor(key: StoreKey, access = 'secret-access'): StoredTokens {
  return {
    access_token: access,
    token_type: 'Bearer',
    expires_at: 2_000_000_000,
    refresh_token: 'secret-refresh',
    scope: 'tools:read',
    resource: key.resource,
    issuer: key.issuer,
    client_id: key.clientId,
  };
}

const posix = process.platform !== 'win32';
let root: string;
let directory: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-store-'));
  directory = join(root, 'config', 'gatehouse');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function tokenFileOf(key: StoreKey): Promise<string> {
  const store = createFileStore({ directory: join(root, 'probe') });
  await store.set(key, tokensFor(key));
  const [name] = (await readdir(join(root, 'probe'))).filter((n) => n.endsWith('.json'));
  await rm(join(root, 'probe'), { recursive: true });
  return join(directory, name!);
}

describe('defaultStoreDirectory', () => {
  it('uses an absolute XDG_CONFIG_HOME, else ~/.config', () => {
    const home = () => '/home/ada';
    expect(defaultStoreDirectory({ XDG_CONFIG_HOME: '/xdg' }, home)).toBe(join('/xdg', 'gatehouse'));
    expect(defaultStoreDirectory({}, home)).toBe(join('/home/ada', '.config', 'gatehouse'));
    expect(defaultStoreDirectory({ XDG_CONFIG_HOME: 'relative/path' }, home)).toBe(
      join('/home/ada', '.config', 'gatehouse'),
    );
  });

  it('createFileStore takes its default directory from the injected env and homedir', async () => {
    const store = createFileStore({ env: {}, homedir: () => root });
    expect(store.directory).toBe(join(root, '.config', 'gatehouse'));
    await store.set(KEY, tokensFor(KEY));
    expect(await store.get(KEY)).toEqual(tokensFor(KEY));
  });

  it('rejects invalid options at construction', () => {
    expect(() => createFileStore({ directory: 'relative' })).toThrow(TypeError);
    expect(() => createFileStore({ leaseTtlMs: 0 })).toThrow(/leaseTtlMs/);
    expect(() => createFileStore({ directroy: '/x' } as never)).toThrow(/unknown option/);
  });
});

describe('createFileStore: files', () => {
  it('round-trips tokens and client registrations', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    await store.set(OTHER, tokensFor(OTHER, 'other-access'));
    expect(await store.get(KEY)).toEqual(tokensFor(KEY));
    expect((await store.get(OTHER))?.access_token).toBe('other-access');
    await store.delete(KEY);
    expect(await store.get(KEY)).toBeUndefined();
    expect(await store.get(OTHER)).toBeDefined();

    const registration: ClientRegistration = {
      issuer: KEY.issuer,
      method: 'dynamic',
      clientId: 'client-1',
      clientSecret: 'client-secret',
      redirectUris: ['http://127.0.0.1:4000/callback'],
      clientSecretExpiresAt: 0,
    };
    await store.setClient(KEY.issuer, registration);
    expect(await createFileStore({ directory }).getClient(KEY.issuer)).toEqual(registration);
    await store.deleteClient(KEY.issuer);
    expect(await store.getClient(KEY.issuer)).toBeUndefined();
  });

  it.runIf(posix)('creates the directory 0700 and every file 0600', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    await store.setClient(KEY.issuer, {
      issuer: KEY.issuer,
      method: 'dynamic',
      clientId: 'c',
      redirectUris: ['http://127.0.0.1/cb'],
    });
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    const names = await readdir(directory);
    expect(names).toHaveLength(2);
    for (const name of names) expect((await stat(join(directory, name))).mode & 0o777).toBe(0o600);
  });

  it('names files by hash: no issuer, resource, client id or token in a file name', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    const [name] = await readdir(directory);
    expect(name).toMatch(/^tokens-[0-9a-f]{64}\.json$/);
  });

  it.runIf(posix)('refuses a directory writable by group or others, naming it', async () => {
    await mkdir(directory, { recursive: true });
    await chmod(directory, 0o777);
    const error = await createFileStore({ directory })
      .get(KEY)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ code: 'ERR_STORE_INSECURE', path: directory });
    expect((error as Error).message).toContain('chmod 700');
    expect((await stat(directory)).mode & 0o777).toBe(0o777);
  });

  it('list() reports keys, expiry and scope, never a token value', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    await store.set(OTHER, { ...tokensFor(OTHER), refresh_token: undefined } as unknown as StoredTokens);
    const listing = await store.list();
    expect(listing.problems).toEqual([]);
    expect(listing.entries).toHaveLength(2);
    expect(listing.entries).toContainEqual({
      key: KEY,
      expires_at: 2_000_000_000,
      scope: 'tools:read',
      hasRefreshToken: true,
    });
    expect(listing.entries).toContainEqual({
      key: OTHER,
      expires_at: 2_000_000_000,
      scope: 'tools:read',
      hasRefreshToken: false,
    });
    expect(JSON.stringify(listing)).not.toMatch(/secret/);
  });
});

describe('createFileStore: corruption and killed writers', () => {
  it('a corrupt file is a TokenStoreError naming the path; it stays, and other entries still read', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    await store.set(OTHER, tokensFor(OTHER));
    const path = await tokenFileOf(KEY);
    await writeFile(path, '{"version":1,"key":', { mode: 0o600 });

    const error = await store.get(KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ code: 'ERR_STORE_CORRUPT', path });
    expect((error as Error).message).toContain(path);
    expect(await readFile(path, 'utf8')).toBe('{"version":1,"key":');
    expect(await store.get(OTHER)).toEqual(tokensFor(OTHER));

    const listing = await store.list();
    expect(listing.entries.map((e) => e.key)).toEqual([OTHER]);
    expect(listing.problems).toHaveLength(1);
    expect(listing.problems[0]).toMatchObject({ code: 'ERR_STORE_CORRUPT', path });
  });

  it('a file of the wrong shape is corrupt, naming the field and never echoing the content', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    const path = await tokenFileOf(KEY);
    const content = JSON.parse(await readFile(path, 'utf8'));
    content.tokens.access_token = 12345;
    content.tokens.refresh_token = 'leaked-secret';
    await writeFile(path, JSON.stringify(content));
    const error = (await store.get(KEY).catch((e: unknown) => e)) as TokenStoreError;
    expect(error.code).toBe('ERR_STORE_CORRUPT');
    expect(error.message).toContain('tokens.access_token');
    expect(error.message).not.toContain('leaked-secret');
  });

  it('a file holding another key is corrupt, not returned', async () => {
    const store = createFileStore({ directory });
    await store.set(OTHER, tokensFor(OTHER));
    const path = await tokenFileOf(KEY);
    const otherPath = await tokenFileOf(OTHER);
    await writeFile(path, await readFile(otherPath, 'utf8'));
    await expect(store.get(KEY)).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT', path });
  });

  it('an unreadable entry is ERR_STORE_UNREADABLE naming the path', async () => {
    const store = createFileStore({ directory });
    await store.set(OTHER, tokensFor(OTHER));
    const path = await tokenFileOf(KEY);
    await mkdir(path);
    await expect(store.get(KEY)).rejects.toMatchObject({ code: 'ERR_STORE_UNREADABLE', path });
    expect(await store.get(OTHER)).toEqual(tokensFor(OTHER));
  });

  it('replacing an entry is atomic: stray and truncated temp files never hide or corrupt it', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY, 'first'));
    const path = await tokenFileOf(KEY);
    const base = path.slice(directory.length + 1);
    // A writer killed before its rename: an empty temp and a truncated one, beside the real entry.
    const strayEmpty = join(directory, `.${base}.0123456789abcdef.tmp`);
    const strayTruncated = join(directory, `.${base}.fedcba9876543210.tmp`);
    await writeFile(strayEmpty, '', { mode: 0o600 });
    await writeFile(strayTruncated, (await readFile(path, 'utf8')).slice(0, 40), { mode: 0o600 });

    expect((await store.get(KEY))?.access_token).toBe('first');
    await store.set(KEY, tokensFor(KEY, 'second'));
    expect((await createFileStore({ directory }).get(KEY))?.access_token).toBe('second');
    const listing = await store.list();
    expect(listing.problems).toEqual([]);
    expect(listing.entries).toHaveLength(1);
    // Young strays may belong to a live writer: left alone.
    expect(await readdir(directory)).toEqual(expect.arrayContaining([base]));
    expect((await readdir(directory)).filter((n) => n.endsWith('.tmp'))).toHaveLength(2);
  });

  it('removes stray temp files older than strayTempMaxAgeMs, and only those', async () => {
    await createFileStore({ directory }).set(KEY, tokensFor(KEY));
    const old = join(directory, '.tokens-x.json.0123456789abcdef.tmp');
    const young = join(directory, '.tokens-x.json.1111111111111111.tmp');
    const unrelated = join(directory, 'notes.txt');
    for (const file of [old, young, unrelated]) await writeFile(file, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);
    await utimes(unrelated, hourAgo, hourAgo);

    const store = createFileStore({ directory, strayTempMaxAgeMs: 60_000 });
    expect((await store.get(KEY))?.access_token).toBe('secret-access');
    const names = await readdir(directory);
    expect(names).not.toContain('.tokens-x.json.0123456789abcdef.tmp');
    expect(names).toContain('.tokens-x.json.1111111111111111.tmp');
    expect(names).toContain('notes.txt');
  });
});

describe('createFileStore: the entry kept in memory (warm path)', () => {
  /** Tokens whose JSON has the same size for every `n` below 10 000: only the content differs. */
  const numbered = (n: number) => tokensFor(KEY, `access-${String(n).padStart(4, '0')}`);

  it('an unchanged file is answered from memory: the same frozen object, no read and no parse', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    const first = await store.get(KEY);
    expect(first).toEqual(tokensFor(KEY));
    expect(Object.isFrozen(first)).toBe(true);
    expect(await store.get(KEY)).toBe(first);
    const reader = createFileStore({ directory });
    const read = await reader.get(KEY);
    expect(await reader.get(KEY)).toBe(read);
  });

  it('an entry replaced by another store instance (as by another process) is seen at the next get, every time', async () => {
    const reader = createFileStore({ directory });
    const writer = createFileStore({ directory });
    await writer.set(KEY, numbered(0));
    expect((await reader.get(KEY))?.access_token).toBe('access-0000');
    for (let n = 1; n <= 200; n += 1) {
      await writer.set(KEY, numbered(n));
      // Every other round two replacements land between two reads (a freed inode may be reused).
      if (n % 2 === 0) {
        n += 1;
        await writer.set(KEY, numbered(n));
      }
      expect((await reader.get(KEY))?.access_token).toBe(numbered(n).access_token);
    }
  });

  it('an entry deleted or corrupted by another instance is not answered from memory', async () => {
    const reader = createFileStore({ directory });
    const writer = createFileStore({ directory });
    await writer.set(KEY, tokensFor(KEY));
    expect(await reader.get(KEY)).toBeDefined();
    await writer.delete(KEY);
    expect(await reader.get(KEY)).toBeUndefined();
    await writer.set(KEY, tokensFor(KEY, 'second'));
    expect((await reader.get(KEY))?.access_token).toBe('second');
    const path = await tokenFileOf(KEY);
    const text = await readFile(path, 'utf8');
    // Edited in place (same inode): the size and times tell the reader.
    await writeFile(path, text.replace('"access_token": "second"', '"access_token": 12345'));
    const error = await reader.get(KEY).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_STORE_CORRUPT', path });
    expect((error as Error).message).toContain('tokens.access_token');
  });

  it('set keeps what it wrote: the next get of the same instance needs no read', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY, 'written'));
    const first = await store.get(KEY);
    expect(first?.access_token).toBe('written');
    expect(await store.get(KEY)).toBe(first);
  });

  it('inside withLock, get reads the file: a refresh never acts on the entry kept in memory', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, tokensFor(KEY));
    const outside = await store.get(KEY);
    expect(await store.get(KEY)).toBe(outside);
    const inside = await store.withLock(KEY, () => store.get(KEY));
    expect(inside).toEqual(outside);
    expect(inside).not.toBe(outside);
  });
});

describe('createFileStore: expires_in', () => {
  it('keeps the token lifetime; a negative or non-numeric one is misuse, and corrupt when read', async () => {
    const store = createFileStore({ directory });
    await store.set(KEY, { ...tokensFor(KEY), expires_in: 20 });
    expect((await createFileStore({ directory }).get(KEY))?.expires_in).toBe(20);
    await expect(store.set(KEY, { ...tokensFor(KEY), expires_in: -1 })).rejects.toThrow(/tokens\.expires_in/);
    const path = await tokenFileOf(KEY);
    const content = JSON.parse(await readFile(path, 'utf8'));
    content.tokens.expires_in = '20';
    await writeFile(path, JSON.stringify(content));
    await expect(createFileStore({ directory }).get(KEY)).rejects.toMatchObject({
      code: 'ERR_STORE_CORRUPT',
      message: expect.stringContaining('tokens.expires_in'),
    });
  });
});
