import { describe, expect, it } from 'vitest';
import { createOriginCheck } from './origin.js';

function request(url: string, headers: Record<string, string> = {}): Request {
  return new Request(url, { method: 'POST', headers });
}

async function expectForbidden(response: Response | undefined): Promise<void> {
  expect(response?.status).toBe(403);
  const body = await response!.json();
  expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
}

describe('Origin (MCP transports § Security Warning: MUST validate, 403 when present and invalid)', () => {
  const local = createOriginCheck('http://127.0.0.1:8080/mcp');

  it('allows requests without Origin (non-browser clients)', () => {
    expect(local(request('http://127.0.0.1:8080/mcp', { host: '127.0.0.1:8080' }))).toBeUndefined();
  });

  it('allows loopback origins on any port by default, and the resource origin', () => {
    for (const origin of [
      'http://localhost:3000',
      'http://127.0.0.1:5173',
      'http://[::1]:9',
      'http://127.0.0.1:8080',
    ]) {
      expect(local(request('http://127.0.0.1:8080/mcp', { origin, host: '127.0.0.1:8080' }))).toBeUndefined();
    }
  });

  it('MUST answer 403 with a JSON-RPC error without id for a foreign Origin', async () => {
    await expectForbidden(
      local(request('http://127.0.0.1:8080/mcp', { origin: 'https://evil.example', host: '127.0.0.1:8080' })),
    );
  });

  it('refuses Origin: null, lists and garbage', async () => {
    for (const origin of [
      'null',
      'http://localhost:1 http://evil.example',
      'not a url',
      'http://localhost:3000/path',
    ]) {
      await expectForbidden(local(request('http://127.0.0.1:8080/mcp', { origin, host: '127.0.0.1:8080' })));
    }
  });

  it('never echoes the Origin value', async () => {
    const response = local(
      request('http://127.0.0.1:8080/mcp', { origin: 'https://evil.example', host: '127.0.0.1:8080' }),
    );
    expect(await response!.text()).not.toContain('evil');
  });

  it('uses the configured list instead of the loopback default (the resource origin stays allowed)', async () => {
    const check = createOriginCheck('https://mcp.example.com/mcp', {
      allowedOrigins: ['https://app.example', 'chrome-extension://abcdef'],
    });
    expect(check(request('https://mcp.example.com/mcp', { origin: 'https://app.example' }))).toBeUndefined();
    expect(
      check(request('https://mcp.example.com/mcp', { origin: 'https://mcp.example.com' })),
    ).toBeUndefined();
    expect(
      check(request('https://mcp.example.com/mcp', { origin: 'chrome-extension://abcdef' })),
    ).toBeUndefined();
    await expectForbidden(check(request('https://mcp.example.com/mcp', { origin: 'http://localhost:3000' })));
    await expectForbidden(
      check(request('https://mcp.example.com/mcp', { origin: 'https://app.example:8443' })),
    );
  });

  it('supports :* for any port', () => {
    const check = createOriginCheck('https://mcp.example.com/mcp', {
      allowedOrigins: ['http://dev.internal:*'],
    });
    expect(
      check(request('https://mcp.example.com/mcp', { origin: 'http://dev.internal:4000' })),
    ).toBeUndefined();
    expect(
      check(request('https://mcp.example.com/mcp', { origin: 'https://dev.internal:4000' }))?.status,
    ).toBe(403);
  });

  it('validates allowedOrigins at construction, naming the entry', () => {
    for (const bad of [
      '*',
      'null',
      'https://app.example/',
      'https://app.example/path',
      'app.example',
      'https://a:1:*',
    ]) {
      expect(() => createOriginCheck('https://mcp.example.com/mcp', { allowedOrigins: [bad] })).toThrow(
        /origin\.allowedOrigins\[0\]/,
      );
    }
    expect(() =>
      createOriginCheck('https://mcp.example.com/mcp', { allowedOrigins: 'https://a' as never }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('Host (DNS rebinding defence for local servers)', () => {
  const local = createOriginCheck('http://127.0.0.1:8080/mcp');

  it('accepts loopback Host values for a loopback resource', () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'LOCALHOST']) {
      expect(local(request('http://127.0.0.1:8080/mcp', { host }))).toBeUndefined();
    }
  });

  it('refuses a rebound name even without an Origin header', async () => {
    await expectForbidden(local(request('http://127.0.0.1:8080/mcp', { host: 'evil.example:8080' })));
    await expectForbidden(local(request('http://127.0.0.1:8080/mcp', { host: 'localhost.evil.example' })));
    await expectForbidden(local(request('http://127.0.0.1:8080/mcp', { host: '127.0.0.1@evil.example' })));
  });

  it('falls back to the URL host when the Host header is absent', async () => {
    expect(local(request('http://localhost:8080/mcp'))).toBeUndefined();
    await expectForbidden(local(request('http://evil.example/mcp')));
  });

  it('does not check Host for a public resource by default', () => {
    const check = createOriginCheck('https://mcp.example.com/mcp');
    expect(check(request('https://mcp.example.com/mcp', { host: 'internal-name:9000' }))).toBeUndefined();
  });

  it('checks allowedHosts when given: hostname (any port) or hostname:port', async () => {
    const check = createOriginCheck('https://mcp.example.com/mcp', {
      allowedHosts: ['mcp.example.com', 'alt.example:8443'],
    });
    expect(check(request('https://mcp.example.com/mcp', { host: 'mcp.example.com' }))).toBeUndefined();
    expect(check(request('https://mcp.example.com/mcp', { host: 'mcp.example.com:444' }))).toBeUndefined();
    expect(check(request('https://mcp.example.com/mcp', { host: 'alt.example:8443' }))).toBeUndefined();
    await expectForbidden(check(request('https://mcp.example.com/mcp', { host: 'alt.example' })));
    await expectForbidden(check(request('https://mcp.example.com/mcp', { host: 'other.example' })));
  });

  it('validates allowedHosts at construction', () => {
    for (const bad of ['', 'a/b', 'user@host', '::1', 'a b']) {
      expect(() => createOriginCheck('https://mcp.example.com/mcp', { allowedHosts: [bad] })).toThrow(
        /origin\.allowedHosts\[0\]/,
      );
    }
  });
});
