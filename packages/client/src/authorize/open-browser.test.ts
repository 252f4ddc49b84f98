import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  type BrowserSpawnOptions,
  browserCommand,
  presentAuthorizationUrl,
  type SpawnFunction,
} from './open-browser.js';

const url = new URL('https://as.example.com/authorize?client_id=a&state=b;$(rm -rf ~)|x');

function recorder() {
  const text: string[] = [];
  return { write: (t: string) => text.push(t), text };
}

function fakeSpawn(outcome: 'spawn' | 'error' | 'throw') {
  const calls: { command: string; args: string[]; options: BrowserSpawnOptions }[] = [];
  let unrefs = 0;
  const spawn: SpawnFunction = (command, args, options) => {
    calls.push({ command, args, options });
    if (outcome === 'throw') throw new Error('spawn EACCES');
    const child = Object.assign(new EventEmitter(), { unref: () => void unrefs++ });
    queueMicrotask(() =>
      outcome === 'spawn' ? child.emit('spawn') : child.emit('error', new Error('ENOENT')),
    );
    return child;
  };
  return { spawn, calls, unrefs: () => unrefs };
}

describe('browserCommand', () => {
  it('passes the URL as one argv element on every platform', () => {
    expect(browserCommand(url, 'linux')).toEqual({ command: 'xdg-open', args: [url.href] });
    expect(browserCommand(url, 'darwin')).toEqual({ command: 'open', args: [url.href] });
    expect(browserCommand(url, 'win32')).toEqual({
      command: 'rundll32',
      args: ['url.dll,FileProtocolHandler', url.href],
    });
  });

  it('refuses non-http(s) URLs and http off loopback', () => {
    for (const bad of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'http://as.example.com/a',
      'https://u:p@as.example/',
    ]) {
      expect(() => browserCommand(new URL(bad), 'linux')).toThrow(TypeError);
    }
    expect(browserCommand(new URL('http://127.0.0.1:9/a'), 'linux').args).toEqual(['http://127.0.0.1:9/a']);
  });
});

describe('presentAuthorizationUrl', () => {
  it('prints the URL and spawns the opener without a shell', async () => {
    const out = recorder();
    const fake = fakeSpawn('spawn');
    await presentAuthorizationUrl(url, { stderr: out, spawn: fake.spawn, platform: 'darwin' });
    expect(out.text.join('')).toContain(url.href);
    expect(fake.calls).toEqual([
      {
        command: 'open',
        args: [url.href],
        options: { shell: false, stdio: 'ignore', detached: true, windowsHide: true },
      },
    ]);
    expect(fake.unrefs()).toBe(1);
  });

  it('says so when no browser can be started, and still resolves', async () => {
    for (const outcome of ['error', 'throw'] as const) {
      const out = recorder();
      await presentAuthorizationUrl(url, {
        stderr: out,
        spawn: fakeSpawn(outcome).spawn,
        platform: 'linux',
        env: { DISPLAY: ':0' },
      });
      expect(out.text.join('')).toMatch(/Could not start a browser/);
    }
  });

  it('headless: prints only (explicitly, or on Linux without a display)', async () => {
    for (const options of [
      { headless: true, platform: 'linux' as const, env: { DISPLAY: ':0' } },
      { platform: 'linux' as const, env: {} },
    ]) {
      const out = recorder();
      const fake = fakeSpawn('spawn');
      await presentAuthorizationUrl(url, { ...options, stderr: out, spawn: fake.spawn });
      expect(fake.calls).toEqual([]);
      expect(out.text.join('')).toContain(url.href);
    }
  });

  it('the hook replaces the browser step', async () => {
    const out = recorder();
    const fake = fakeSpawn('spawn');
    const seen: string[] = [];
    await presentAuthorizationUrl(url, {
      stderr: out,
      spawn: fake.spawn,
      platform: 'darwin',
      onAuthorizationUrl: async (u) => void seen.push(u.href),
    });
    expect(seen).toEqual([url.href]);
    expect(fake.calls).toEqual([]);
    await expect(
      presentAuthorizationUrl(url, {
        stderr: out,
        onAuthorizationUrl: () => {
          throw new Error('hook failed');
        },
      }),
    ).rejects.toThrow('hook failed');
  });

  it('rejects misuse before printing anything', async () => {
    const out = recorder();
    await expect(presentAuthorizationUrl(new URL('file:///x'), { stderr: out })).rejects.toThrow(TypeError);
    await expect(
      presentAuthorizationUrl(url, { stderr: out, headless: 'yes' as unknown as boolean }),
    ).rejects.toThrow(TypeError);
    expect(out.text).toEqual([]);
  });
});
