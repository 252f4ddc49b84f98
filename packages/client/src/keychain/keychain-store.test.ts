/**
 * The OS keychain store on Linux, against a real Secret Service: a private GNOME Keyring on a private
 * D-Bus session (`private-keyring.test-helpers.ts`), driven through the real `secret-tool` (issue 4
 * item 6: "an optional OS keychain store when available").
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSourceChild } from '../../../../test/support/source-child.js';
import type { ClientRegistration } from '../registration/types.js';
import { TokenStoreError } from '../store/errors.js';
import type { StoredTokens, StoreKey } from '../store/types.js';
import { KeychainError } from './errors.js';
import { createKeychainStore, isKeychainAvailable, type KeychainStoreOptions } from './keychain-store.js';
import { type PrivateKeyring, startPrivateKeyring } from './private-keyring.test-helpers.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./keychain-cross-process-child.test-helpers.ts', import.meta.url));
const KEY: StoreKey = { issuer: 'https://as.example', resource: 'https://mcp.example/mcp', clientId: 'c1' };
const TOKENS: StoredTokens = {
  access_token: 'at-SECRET-5f3a9c',
  token_type: 'Bearer',
  expires_at: 2_000_000_000,
  refresh_token: 'rt-SECRET-77e1b0',
  scope: 'mcp:read mcp:wrïte',
  resource: KEY.resource,
  issuer: KEY.issuer,
  client_id: KEY.clientId,
};
const REGISTRATION: ClientRegistration = {
  issuer: KEY.issuer,
  clientId: 'c1',
  clientSecret: 'cs-SECRET-0d4e21',
  redirectUris: ['http://127.0.0.1/callback'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  method: 'dynamic',
};

let root: string;
let keyring: PrivateKeyring;
let serial = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-keychain-'));
  keyring = await startPrivateKeyring(join(root, 'keyring'));
}, 30_000);
afterAll(async () => {
  await keyring?.stop();
  await rm(root, { recursive: true, force: true });
});

/** A store on its own directory and service name, on the private keyring. */
function newStore(extra: Partial<KeychainStoreOptions> = {}) {
  serial += 1;
  const directory = join(root, `store-${serial}`);
  const options = {
    directory,
    service: `gatehouse-test-${serial}`,
    env: keyring.env,
    platform: 'linux' as const,
  };
  return { options, store: createKeychainStore({ ...options, ...extra }) };
}

async function filesUnder(directory: string): Promise<string> {
  let all = '';
  for (const name of await readdir(directory)) all += await readFile(join(directory, name), 'utf8');
  return all;
}

/** What `secret-tool` itself finds under a store's attributes (bypassing the store). */
async function lookup(service: string, account: string) {
  return run('secret-tool', ['lookup', 'service', service, 'account', account], { env: keyring.env }).then(
    (result) => result.stdout,
    () => undefined,
  );
}

describe('createKeychainStore on the Secret Service (secret-tool, GNOME Keyring)', () => {
  it('is available on the private session bus', async () => {
    expect(await isKeychainAvailable({ env: keyring.env, platform: 'linux' })).toBe(true);
  });

  it('keeps the tokens in the keyring and only a non-secret index on disk (0700 dir, 0600 file)', async () => {
    const { store, options } = newStore();
    await store.set(KEY, TOKENS);
    expect(await store.get(KEY)).toEqual(TOKENS);

    const onDisk = await filesUnder(options.directory);
    expect(onDisk).not.toContain(TOKENS.access_token);
    expect(onDisk).not.toContain(TOKENS.refresh_token);
    expect(onDisk).toContain(KEY.resource);
    expect((await stat(options.directory)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(options.directory)) {
      expect((await stat(join(options.directory, name))).mode & 0o777).toBe(0o600);
    }
    const items = await run('secret-tool', ['search', '--all', 'service', options.service], {
      env: keyring.env,
    });
    expect(`${items.stdout}${items.stderr}`).toContain(TOKENS.refresh_token);
  });

  it('a second store instance lists and reads the entry; delete removes item and index', async () => {
    const { store, options } = newStore();
    await store.set(KEY, TOKENS);
    const again = createKeychainStore(options);
    expect(await again.list()).toEqual({
      entries: [{ key: KEY, expires_at: TOKENS.expires_at, scope: TOKENS.scope, hasRefreshToken: true }],
      problems: [],
    });
    expect(await again.get(KEY)).toEqual(TOKENS);

    await again.delete(KEY);
    expect(await store.get(KEY)).toBeUndefined();
    expect((await store.list()).entries).toEqual([]);
    await again.delete(KEY); // nothing there: no error
  });

  it('replaces an entry on set (rotation), DPoP key included', async () => {
    const { store } = newStore();
    await store.set(KEY, TOKENS);
    const rotated: StoredTokens = {
      ...TOKENS,
      access_token: 'at-2',
      refresh_token: 'rt-2',
      token_type: 'DPoP',
      dpop_jwk: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43), d: 'd'.repeat(43) },
    };
    await store.set(KEY, rotated);
    expect(await store.get(KEY)).toEqual(rotated);
  });

  it('keeps client registrations (with their secret) in the keyring only', async () => {
    const { store, options } = newStore();
    expect(await store.getClient(KEY.issuer)).toBeUndefined();
    await store.setClient(KEY.issuer, REGISTRATION);
    expect(await store.getClient(KEY.issuer)).toEqual(REGISTRATION);
    await mkdir(options.directory, { recursive: true });
    expect(await filesUnder(options.directory)).not.toContain('cs-SECRET');
    await store.deleteClient(KEY.issuer);
    expect(await store.getClient(KEY.issuer)).toBeUndefined();
  });

  it('never puts a secret in argv: secret-tool gets it on stdin', async () => {
    const bin = join(root, 'shim-bin');
    await mkdir(bin, { recursive: true });
    const log = join(root, 'argv.log');
    const real = (await run('sh', ['-c', 'command -v secret-tool'])).stdout.trim();
    await writeFile(
      join(bin, 'secret-tool'),
      `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec '${real}' "$@"\n`,
    );
    await chmod(join(bin, 'secret-tool'), 0o755);
    const { store } = newStore({ env: { ...keyring.env, PATH: `${bin}:${keyring.env.PATH}` } });
    await store.set(KEY, TOKENS);
    await store.setClient(KEY.issuer, REGISTRATION);
    expect(await store.get(KEY)).toEqual(TOKENS);
    const argv = await readFile(log, 'utf8');
    expect(argv).toContain('store');
    expect(argv).toContain('lookup');
    expect(argv).not.toMatch(/SECRET/);
    expect(argv).not.toContain(KEY.resource);
  });

  it('a corrupt item is a TokenStoreError naming the item, without its content', async () => {
    const { store, options } = newStore();
    await store.set(KEY, TOKENS);
    const search = await run('secret-tool', ['search', '--all', 'service', options.service], {
      env: keyring.env,
    });
    const account = /attribute\.account = (tokens-[0-9a-f]{64})/.exec(
      `${search.stdout}${search.stderr}`,
    )?.[1];
    expect(account).toBeDefined();
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        'secret-tool',
        ['store', '--label=x', 'service', options.service, 'account', account as string],
        { env: keyring.env },
        (error) => (error ? reject(error) : resolve()),
      );
      child.stdin?.end('{"version":1,"key":{"issuer":"x"},"tokens":"SECRET-junk"}');
    });
    const error = await store.get(KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({
      code: 'ERR_STORE_CORRUPT',
      path: `keychain:${options.service}/${account}`,
    });
    expect((error as Error).message).not.toContain('SECRET');
    expect(await lookup(options.service, account as string)).toContain('SECRET-junk'); // left in place
  });

  it('two processes refreshing the same rotating token at once: one redemption, same tokens', async () => {
    const { store, options } = newStore();
    const stale: StoredTokens = {
      ...TOKENS,
      access_token: 'access-0',
      refresh_token: 'refresh-0',
      expires_at: 1,
    };
    await store.set(KEY, stale);
    const work = join(root, `work-${serial}`);
    await mkdir(work);
    const child = (name: string) =>
      runSourceChild([CHILD, options.directory, work, name, options.service, keyring.address]);
    const children = [child('a'), child('b')];
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(join(work, 'go'), '');
    const [a, b] = await Promise.all(children);

    expect(a, a?.err).toMatchObject({ code: 0 });
    expect(b, b?.err).toMatchObject({ code: 0 });
    expect(await readFile(join(work, 'counter'), 'utf8')).toBe('1');
    const redeemed = (await readFile(join(work, 'redeemed.log'), 'utf8')).trim().split('\n');
    expect(redeemed).toEqual([expect.stringMatching(/^[ab] refresh-0$/)]);
    const tokensA = JSON.parse(a?.out ?? '') as StoredTokens;
    expect(JSON.parse(b?.out ?? '')).toEqual(tokensA);
    expect(tokensA).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
    expect(await store.get(KEY)).toEqual(tokensA);
  }, 60_000);
});

describe('createKeychainStore where no keychain can be used', () => {
  it('no Secret Service on the session bus: unavailable, and a typed error naming secret-tool', async () => {
    const env = { PATH: keyring.env.PATH, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, 'no-bus')}` };
    expect(await isKeychainAvailable({ env, platform: 'linux' })).toBe(false);
    const store = createKeychainStore({ directory: join(root, 'nobus'), env, platform: 'linux' });
    const error = await store.get(KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeychainError);
    expect(error).toMatchObject({ code: 'ERR_KEYCHAIN_FAILED', tool: 'secret-tool' });
    expect((error as Error).message).toMatch(/^secret-tool lookup failed \(exit status 1\): /);
  });

  it('secret-tool not installed: unavailable, ERR_KEYCHAIN_UNAVAILABLE', async () => {
    const env = { ...keyring.env, PATH: join(root, 'empty-path') };
    expect(await isKeychainAvailable({ env, platform: 'linux' })).toBe(false);
    const store = createKeychainStore({ directory: join(root, 'notool'), env, platform: 'linux' });
    await expect(store.set(KEY, TOKENS)).rejects.toMatchObject({
      name: 'KeychainError',
      code: 'ERR_KEYCHAIN_UNAVAILABLE',
      message: 'secret-tool could not be started (ENOENT)',
    });
  });

  it('a tool that does not answer in time is killed: ERR_KEYCHAIN_TIMEOUT', async () => {
    const bin = join(root, 'slow-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'secret-tool'), '#!/bin/sh\nexec sleep 30\n');
    await chmod(join(bin, 'secret-tool'), 0o755);
    const env = { ...keyring.env, PATH: `${bin}:${keyring.env.PATH}` };
    const store = createKeychainStore({
      directory: join(root, 'slow'),
      env,
      platform: 'linux',
      timeoutMs: 200,
    });
    await expect(store.get(KEY)).rejects.toMatchObject({ code: 'ERR_KEYCHAIN_TIMEOUT', tool: 'secret-tool' });
    expect(await isKeychainAvailable({ env, platform: 'linux', timeoutMs: 200 })).toBe(false);
  });

  it('Windows is refused at creation with a clear error', async () => {
    expect(() => createKeychainStore({ platform: 'win32' })).toThrow(
      expect.objectContaining({
        name: 'KeychainError',
        code: 'ERR_KEYCHAIN_UNSUPPORTED',
        message: 'the OS keychain store does not support Windows: use createFileStore() instead',
      }),
    );
    expect(await isKeychainAvailable({ platform: 'win32' })).toBe(false);
  });

  it('misuse is a TypeError at creation', () => {
    expect(() => createKeychainStore({ service: 'two words' })).toThrow(TypeError);
    expect(() => createKeychainStore({ directory: 'relative' })).toThrow(TypeError);
    expect(() => createKeychainStore({ timeoutMs: 0 })).toThrow(TypeError);
    expect(() => createKeychainStore({ colour: 'blue' } as KeychainStoreOptions)).toThrow(TypeError);
  });
});
