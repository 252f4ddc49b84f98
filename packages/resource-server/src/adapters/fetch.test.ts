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
import { protect } from './fetch.js';

const server = createTestResourceServer();
const app = protect(server, async (request, authInfo) =>
  Response.json({ subject: authInfo.subject, body: await request.json() }),
);

/** A POST of the `tools/call` of `tool` to RESOURCE. */
function post(tool: string, token?: string): Request {
  return new Request(RESOURCE, toolCallInit(tool, token, RESOURCE_HOST));
}

describe('protect (fetch adapter)', () => {
  it('serves metadata without authentication', async () => {
    const response = await app(new Request(`http://127.0.0.1:8080${PRM_PATH}`));
    expect(response.status).toBe(200);
    expect((await response.json()).resource).toBe(RESOURCE);
  });

  it('runs the handler with authInfo, and the handler can still read the body', async () => {
    const response = await app(post('delete_file', WRITE_TOKEN));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ subject: 'writer', body: { method: 'tools/call' } });
  });

  it('answers challenges itself', async () => {
    expect((await app(post('x'))).status).toBe(401);
    expect((await app(post('delete_file', READ_TOKEN))).status).toBe(403);
    expect((await app(post('x', 'bogus'))).status).toBe(401);
  });

  it('turns a throwing handler into a generic 500', async () => {
    const failing = protect(server, () => {
      throw new Error('internal detail');
    });
    const response = await failing(post('x', READ_TOKEN));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('internal detail');
  });
});
