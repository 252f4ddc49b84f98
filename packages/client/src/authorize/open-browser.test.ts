import { describe, expect, it, vi } from 'vitest';
import { type BrowserOpener, presentAuthorizationUrl } from './open-browser.js';

const opened = vi.hoisted(() => [] as unknown[][]);
vi.mock('open', () => ({
  default: async (...args: unknown[]) => {
    opened.push(args);
    return {};
  },
}));

const url = new URL('https://as.example.com/authorize?client_id=a&state=b;$(rm -rf ~)|x');

function recorder() {
  const text: string[] = [];
  return { write: (t: string) => text.push(t), text };
}

function fakeOpener(outcome: 'open' | 'reject') {
  const calls: string[] = [];
  const openBrowser: BrowserOpener = async (href) => {
    calls.push(href);
    if (outcome === 'reject') throw new Error('spawn xdg-open ENOENT');
  };
  return { openBrowser, calls };
}

describe('presentAuthorizationUrl', () => {
  it('prints the URL, then opens it with the open package, the URL as its one argument', async () => {
    const out = recorder();
    opened.length = 0;
    await presentAuthorizationUrl(url, { stderr: out, platform: 'darwin' });
    expect(out.text.join('')).toContain(url.href);
    expect(opened).toEqual([[url.href]]);
  });

  it('an injected opener replaces the open package', async () => {
    const out = recorder();
    const fake = fakeOpener('open');
    opened.length = 0;
    await presentAuthorizationUrl(url, { stderr: out, openBrowser: fake.openBrowser, platform: 'win32' });
    expect(fake.calls).toEqual([url.href]);
    expect(opened).toEqual([]);
    expect(out.text.join('')).not.toMatch(/Could not start/);
  });

  it('says so when no browser can be started, and still resolves', async () => {
    const out = recorder();
    await presentAuthorizationUrl(url, {
      stderr: out,
      openBrowser: fakeOpener('reject').openBrowser,
      platform: 'linux',
      env: { DISPLAY: ':0' },
    });
    expect(out.text.join('')).toContain(url.href);
    expect(out.text.join('')).toMatch(/Could not start a browser/);
  });

  it('headless: prints only and waits (explicitly, on Linux without a display, or over SSH)', async () => {
    for (const options of [
      { headless: true, platform: 'linux' as const, env: { DISPLAY: ':0' } },
      { platform: 'linux' as const, env: {} },
      { platform: 'darwin' as const, env: { SSH_CONNECTION: '203.0.113.9 52144 10.0.0.5 22' } },
    ]) {
      const out = recorder();
      const fake = fakeOpener('open');
      await presentAuthorizationUrl(url, { ...options, stderr: out, openBrowser: fake.openBrowser });
      expect(fake.calls).toEqual([]);
      expect(out.text.join('')).toContain(url.href);
      expect(out.text.join('')).toMatch(/Waiting for the authorization/);
    }
  });

  it('the hook replaces the browser step', async () => {
    const out = recorder();
    const fake = fakeOpener('open');
    const seen: string[] = [];
    await presentAuthorizationUrl(url, {
      stderr: out,
      openBrowser: fake.openBrowser,
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

  it('refuses non-http(s) URLs, http off loopback and misuse before printing or opening anything', async () => {
    const out = recorder();
    const fake = fakeOpener('open');
    for (const bad of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'http://as.example.com/a',
      'https://u:p@as.example/',
    ]) {
      await expect(
        presentAuthorizationUrl(new URL(bad), {
          stderr: out,
          openBrowser: fake.openBrowser,
          headless: false,
        }),
      ).rejects.toThrow(TypeError);
    }
    await expect(
      presentAuthorizationUrl(url, { stderr: out, headless: 'yes' as unknown as boolean }),
    ).rejects.toThrow(TypeError);
    await expect(
      presentAuthorizationUrl(url, { stderr: out, openBrowser: 'xdg-open' as unknown as BrowserOpener }),
    ).rejects.toThrow(TypeError);
    expect(out.text).toEqual([]);
    expect(fake.calls).toEqual([]);
    const loopback = recorder();
    await presentAuthorizationUrl(new URL('http://127.0.0.1:9/a'), {
      stderr: loopback,
      openBrowser: fake.openBrowser,
      headless: false,
    });
    expect(fake.calls).toEqual(['http://127.0.0.1:9/a']);
  });
});
