import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestResourceServer,
  PRM_PATH,
  READ_TOKEN,
  toolCall,
  toolCallInit,
  useLoopbackServers,
  WRITE_TOKEN,
} from './adapters.test-helpers.js';
import { protect } from './fetch.js';
import { protectNode, toNodeListener } from './node.js';

const listen = useLoopbackServers();
const rs = createTestResourceServer();

describe('toNodeListener', () => {
  let base: string;
  beforeAll(async () => {
    base = await listen(
      toNodeListener(async (request) => {
        const url = new URL(request.url);
        if (url.pathname === '/stream') {
          const encoder = new TextEncoder();
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(encoder.encode('data: one\n\n'));
              controller.enqueue(encoder.encode('data: two\n\n'));
              controller.close();
            },
          });
          return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
        }
        if (url.pathname === '/echo') {
          const headers = new Headers({ 'content-type': 'application/json' });
          headers.append('set-cookie', 'a=1');
          headers.append('set-cookie', 'b=2');
          return new Response(
            JSON.stringify({
              method: request.method,
              url: request.url,
              body: await request.text(),
              host: request.headers.get('host'),
            }),
            { status: 201, headers },
          );
        }
        throw new Error('boom: internal');
      }),
    );
  });

  it('converts method, URL, headers and body, and writes status, headers and each Set-Cookie', async () => {
    const response = await fetch(`${base}/echo?x=1`, { method: 'POST', body: 'hello' });
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({
      method: 'POST',
      url: `${base}/echo?x=1`,
      body: 'hello',
      host: base.slice(7),
    });
  });

  it('streams response bodies', async () => {
    const response = await fetch(`${base}/stream`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('data: one\n\ndata: two\n\n');
  });

  it('answers a generic 500 when the handler throws', async () => {
    const response = await fetch(`${base}/fail`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('boom');
  });

  it('serves protect() end to end', async () => {
    const url = await listen(
      toNodeListener(protect(rs, (_request, auth) => Response.json({ subject: auth.subject }))),
    );
    expect((await fetch(`${url}/mcp`, toolCallInit('x'))).status).toBe(401);
    const ok = await fetch(`${url}/mcp`, toolCallInit('delete_file', WRITE_TOKEN));
    expect(await ok.json()).toEqual({ subject: 'writer' });
  });
});

describe('protectNode', () => {
  let base: string;
  beforeAll(async () => {
    base = await listen(
      protectNode(rs, (req, res, auth) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ subject: auth.subject, same: req.auth === auth, body: req.body ?? null }));
      }),
    );
  });

  it('serves metadata', async () => {
    const response = await fetch(`${base}${PRM_PATH}`);
    expect(response.status).toBe(200);
    expect((await response.json()).authorization_servers).toEqual(['https://as.example']);
  });

  it('sets req.auth and leaves the parsed body in req.body', async () => {
    const response = await fetch(`${base}/mcp`, toolCallInit('delete_file', WRITE_TOKEN));
    expect(await response.json()).toEqual({
      subject: 'writer',
      same: true,
      body: JSON.parse(toolCall('delete_file')),
    });
  });

  it('answers 401, 403 and 403-Origin itself', async () => {
    const anonymous = await fetch(`${base}/mcp`, toolCallInit('x'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('resource_metadata=');
    const lacking = await fetch(`${base}/mcp`, toolCallInit('delete_file', READ_TOKEN));
    expect(lacking.status).toBe(403);
    const foreign = await fetch(
      `${base}/mcp`,
      toolCallInit('x', WRITE_TOKEN, { origin: 'https://evil.example' }),
    );
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ jsonrpc: '2.0', id: null });
  });

  it('answers a generic 500 when the handler throws', async () => {
    const url = await listen(
      protectNode(rs, () => {
        throw new Error('secret');
      }),
    );
    const response = await fetch(`${url}/mcp`, toolCallInit('x', READ_TOKEN));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('secret');
  });
});
