import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formActionSource, securityHeaders, sendHtml } from './headers.js';
import { STYLE_HASH } from './layout.js';

describe('securityHeaders', () => {
  it('has the strict policy, anti-framing and no-store', () => {
    const headers = securityHeaders();
    expect(headers['Content-Security-Policy']).toBe(
      `default-src 'none'; style-src ${STYLE_HASH}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(headers['X-Frame-Options']).toBe('DENY');
    expect(headers['Referrer-Policy']).toBe('no-referrer');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Cache-Control']).toBe('no-store');
  });

  it('adds the redirect origin to form-action only', () => {
    const csp = securityHeaders({ formAction: ['http://127.0.0.1:5000'] })['Content-Security-Policy'];
    expect(csp).toContain("form-action 'self' http://127.0.0.1:5000;");
  });
});

describe('formActionSource', () => {
  it('is the origin of an http(s) redirect URI, without path, query or userinfo', () => {
    expect(formActionSource('http://127.0.0.1:49152/callback?x=1')).toBe('http://127.0.0.1:49152');
    expect(formActionSource('https://app.example.com/cb')).toBe('https://app.example.com');
    expect(formActionSource('https://u:p@app.example.com:8443/cb')).toBe('https://app.example.com:8443');
  });

  it('is the scheme of a private-use URI scheme', () => {
    expect(formActionSource('com.example.app:/oauth')).toBe('com.example.app:');
  });

  it('refuses anything that could widen or break the policy', () => {
    for (const bad of [
      undefined,
      42,
      '',
      'not a url',
      '/relative',
      'javascript:alert(1)',
      'data:text/html,x',
    ]) {
      expect(formActionSource(bad)).toBeUndefined();
    }
  });
});

describe('sendHtml', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) =>
      sendHtml(res, 418, '<p>é</p>', { headers: { 'Retry-After': '60' } }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('writes the page with the security headers over real HTTP', async () => {
    const response = await fetch(base);
    expect(response.status).toBe(418);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.text()).toBe('<p>é</p>');
  });
});
