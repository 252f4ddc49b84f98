import express from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestResourceServer,
  jsonHeaders,
  PRM_PATH,
  READ_TOKEN,
  toolCall,
  toolCallInit,
  useLoopbackServers,
  WRITE_TOKEN,
} from './adapters.test-helpers.js';
import { type AuthenticatedRequest, protectedResourceMetadata, requireAuth } from './express.js';

const rs = createTestResourceServer();
const listen = useLoopbackServers();

function handler(req: express.Request, res: express.Response) {
  const { auth } = req as AuthenticatedRequest;
  res.json({ subject: auth.subject, body: req.body ?? null });
}

describe('Express adapter', () => {
  let withParser: string;
  let withoutParser: string;

  beforeAll(async () => {
    const a = express();
    a.use(protectedResourceMetadata(rs));
    a.post('/mcp', express.json(), requireAuth(rs), handler);
    withParser = await listen(a);
    const b = express();
    b.use(protectedResourceMetadata(rs));
    b.post('/mcp', requireAuth(rs), handler);
    withoutParser = await listen(b);
  });

  it('serves metadata at both well-known paths', async () => {
    for (const path of [PRM_PATH, '/.well-known/oauth-protected-resource']) {
      const response = await fetch(`${withParser}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  for (const [label, base] of [
    ['after express.json()', () => withParser],
    ['without a body parser', () => withoutParser],
  ] as const) {
    describe(label, () => {
      it('sets req.auth and checks per-tool scopes from the body', async () => {
        const ok = await fetch(`${base()}/mcp`, toolCallInit('delete_file', WRITE_TOKEN));
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ subject: 'writer', body: JSON.parse(toolCall('delete_file')) });
        const lacking = await fetch(`${base()}/mcp`, toolCallInit('delete_file', READ_TOKEN));
        expect(lacking.status).toBe(403);
        expect(lacking.headers.get('www-authenticate')).toContain('scope="mcp:tools mcp:write"');
      });

      it('answers 401 with the challenge and a JSON body', async () => {
        const response = await fetch(`${base()}/mcp`, toolCallInit('x'));
        expect(response.status).toBe(401);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toMatchObject({ error: 'invalid_token' });
      });
    });
  }

  it('answers 400 for a token in the query string', async () => {
    const response = await fetch(`${withParser}/mcp?access_token=${WRITE_TOKEN}`, {
      method: 'POST',
      headers: jsonHeaders(),
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain(WRITE_TOKEN);
  });
});
