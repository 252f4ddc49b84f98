import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeHtml, renderCallbackPage } from './callback-page.js';
import { AuthorizationDenied, AuthorizationTimeout, CallbackPortInUse } from './errors.js';
import { startLoopbackListener } from './loopback-listener.js';

const blockers: Server[] = [];
afterAll(async () => {
  await Promise.all(blockers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function occupyPort(): Promise<number> {
  const server = createServer();
  blockers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('startLoopbackListener', () => {
  it('binds an ephemeral port on 127.0.0.1 and resolves on the first callback, then closes', async () => {
    const listener = await startLoopbackListener();
    expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(new URL(listener.redirectUri).port).not.toBe('0');
    const response = await fetch(`${listener.redirectUri}?code=secret-code&state=s`);
    expect(response.status).toBe(200);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain('Signed in');
    expect(page).not.toContain('secret-code');
    expect(page).not.toMatch(/<script|src=|href=/);
    const url = await listener.waitForCallback();
    expect(url.searchParams.get('code')).toBe('secret-code');
    await listener.close();
    await expect(fetch(listener.redirectUri)).rejects.toThrow();
  });

  it('ignores other paths, favicon requests, other methods and other Host headers', async () => {
    const listener = await startLoopbackListener({ path: '/cb' });
    const base = new URL(listener.redirectUri);
    expect((await fetch(`${base.origin}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${base.origin}/callback?code=x`)).status).toBe(404);
    expect((await fetch(`${listener.redirectUri}?code=x`, { method: 'POST' })).status).toBe(405);
    let settled = false;
    void listener.waitForCallback().then(
      () => {
        settled = true;
      },
      () => {},
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    expect((await fetch(`${listener.redirectUri}?code=y&state=s`)).status).toBe(200);
    expect((await listener.waitForCallback()).searchParams.get('code')).toBe('y');
  });

  it('tries the next port of a range when the first is taken', async () => {
    const taken = await occupyPort();
    const listener = await startLoopbackListener({ port: { from: taken, to: taken + 20 } });
    const port = Number(new URL(listener.redirectUri).port);
    expect(port).toBeGreaterThan(taken);
    expect(port).toBeLessThanOrEqual(taken + 20);
    await listener.close();
  });

  it('reports EADDRINUSE when a fixed port is taken', async () => {
    const taken = await occupyPort();
    const refused = startLoopbackListener({ port: taken });
    await expect(refused).rejects.toBeInstanceOf(CallbackPortInUse);
    await expect(refused).rejects.toMatchObject({ code: 'EADDRINUSE', ports: [taken] });
  });

  it('times out with AuthorizationTimeout and closes itself', async () => {
    const listener = await startLoopbackListener({ timeoutMs: 30 });
    await expect(listener.waitForCallback()).rejects.toBeInstanceOf(AuthorizationTimeout);
    await listener.close();
    await expect(fetch(listener.redirectUri)).rejects.toThrow();
  });

  it('rejects with the abort reason and with an error when closed first', async () => {
    const controller = new AbortController();
    const aborted = await startLoopbackListener({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(aborted.waitForCallback()).rejects.toThrow('stop');
    const closed = await startLoopbackListener();
    await closed.close();
    await expect(closed.waitForCallback()).rejects.toThrow(/closed/);
  });

  it('shows the failure page with escaped server text when checkCallback throws', async () => {
    const listener = await startLoopbackListener({
      checkCallback: () => {
        throw new AuthorizationDenied({ description: '<script>alert(1)</script> & "no"' });
      },
    });
    const response = await fetch(`${listener.redirectUri}?error=access_denied&state=s`);
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('Sign-in failed');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;no&quot;');
    expect(page).not.toContain('<script>');
    await expect(listener.waitForCallback()).rejects.toBeInstanceOf(AuthorizationDenied);
  });

  it('never shows text of unverified responses', async () => {
    const listener = await startLoopbackListener({
      checkCallback: () => {
        throw new Error('iss mismatch: evil text');
      },
    });
    const page = await (await fetch(`${listener.redirectUri}?error=x&error_description=evil`)).text();
    expect(page).not.toMatch(/evil/);
    await expect(listener.waitForCallback()).rejects.toThrow('iss mismatch');
  });

  it('rejects bad options with a TypeError', async () => {
    await expect(startLoopbackListener({ port: 70_000 })).rejects.toThrow(TypeError);
    await expect(startLoopbackListener({ port: { from: 9, to: 8 } })).rejects.toThrow(TypeError);
    await expect(startLoopbackListener({ path: 'callback' })).rejects.toThrow(TypeError);
    await expect(startLoopbackListener({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(TypeError);
    await expect(startLoopbackListener({ timeoutMs: 0 })).rejects.toThrow(TypeError);
  });
});

describe('callback page', () => {
  it('escapes every HTML special character', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(renderCallbackPage(false, '<b>')).toContain('<p>&lt;b&gt;</p>');
  });
});
