import { describe, expect, it } from 'vitest';
import { isPreflight, preflightResponse, withCorsHeaders } from './cors.js';

const ORIGIN = 'http://localhost:5173';

describe('CORS for allowed origins', () => {
  it('recognises preflights', () => {
    const preflight = new Request('http://127.0.0.1/mcp', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(isPreflight(preflight)).toBe(true);
    expect(isPreflight(new Request('http://127.0.0.1/mcp', { method: 'OPTIONS' }))).toBe(false);
  });

  it('echoes only MCP and OAuth request headers', () => {
    const response = preflightResponse(
      new Request('http://127.0.0.1/mcp', {
        method: 'OPTIONS',
        headers: {
          origin: ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers':
            'authorization, content-type, mcp-protocol-version, mcp-param-region, x-evil',
        },
      }),
      ORIGIN,
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, mcp-protocol-version, mcp-param-region',
    );
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('adds the origin and exposes WWW-Authenticate on responses, keeping status and body', async () => {
    const original = Response.json({ ok: true }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
    const response = withCorsHeaders(original, ORIGIN);
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expect(response.headers.get('vary')).toContain('Origin');
    expect(await response.json()).toEqual({ ok: true });
  });
});
