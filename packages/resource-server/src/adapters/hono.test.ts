import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  createTestResourceServer,
  PRM_PATH,
  READ_TOKEN,
  RESOURCE,
  RESOURCE_HOST,
  toolCallInit,
  WRITE_TOKEN,
} from './adapters.test-helpers.js';
import { protectedResourceMetadata, type ResourceServerEnv, requireAuth } from './hono.js';

const server = createTestResourceServer();

function buildApp() {
  const app = new Hono<ResourceServerEnv>();
  app.use(protectedResourceMetadata(server));
  app.use('/mcp', requireAuth(server));
  app.post('/mcp', async (c) => c.json({ subject: c.get('authInfo').subject, raw: await c.req.raw.json() }));
  return app;
}

/** An app where `first` runs before `requireAuth`, and the MCP handler answers `ran`. */
function appAfter(first: MiddlewareHandler<ResourceServerEnv>) {
  const app = new Hono<ResourceServerEnv>();
  app.use('/mcp', first);
  app.use('/mcp', requireAuth(server));
  app.post('/mcp', (c) => c.text('ran'));
  return app;
}

/** The `tools/call` of `tool` as a POST to RESOURCE. */
const post = (tool: string, token?: string) => toolCallInit(tool, token, RESOURCE_HOST);

describe('Hono adapter', () => {
  const app = buildApp();

  it('serves metadata at both well-known paths', async () => {
    for (const path of [PRM_PATH, '/.well-known/oauth-protected-resource']) {
      const response = await app.request(`http://127.0.0.1:8080${path}`);
      expect(response.status).toBe(200);
      expect((await response.json()).resource).toBe(RESOURCE);
    }
  });

  it('sets c.get("authInfo") and leaves c.req.raw readable', async () => {
    const response = await app.request(RESOURCE, post('delete_file', WRITE_TOKEN));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      subject: 'writer',
      raw: { params: { name: 'delete_file' } },
    });
  });

  it('answers 401 / 403 itself', async () => {
    expect((await app.request(RESOURCE, post('x'))).status).toBe(401);
    const forbidden = await app.request(RESOURCE, post('delete_file', READ_TOKEN));
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it("uses Hono's body cache when an earlier middleware parsed the body", async () => {
    const parsedFirst = appAfter(async (c, next) => {
      await c.req.json();
      await next();
    });
    const denied = await parsedFirst.request(RESOURCE, post('delete_file', READ_TOKEN));
    expect(denied.status).toBe(403);
    const allowed = await parsedFirst.request(RESOURCE, post('delete_file', WRITE_TOKEN));
    expect(await allowed.text()).toBe('ran');
  });

  it("refuses (500) rather than guess when the raw body was consumed outside Hono's cache", async () => {
    const consumed = appAfter(async (c, next) => {
      await c.req.raw.text();
      await next();
    });
    const response = await consumed.request(RESOURCE, post('delete_file', READ_TOKEN));
    expect(response.status).toBe(500);
  });
});
