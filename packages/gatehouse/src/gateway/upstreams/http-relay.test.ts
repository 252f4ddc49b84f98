import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../../test/support/test-issuer.js';
import type { RunningGateway } from '../start-gateway.js';
import { type RecordingUpstream, startRecordingUpstream } from './http-relay.test-helpers.js';
import {
  capturingLogger,
  connectWithToken,
  startUpstreamGateway,
  textOf,
  tokenFor,
} from './upstream.test-helpers.js';

const STATIC_CREDENTIAL = 'Bearer upstream-static-credential';

describe('HTTP upstream (--upstream): an authenticated relay', () => {
  const issuer = useTestIssuer();
  let upstream: RecordingUpstream;
  let gateway: RunningGateway;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gateway = await startUpstreamGateway(issuer, {
      kind: 'http',
      url: upstream.url,
      headers: { authorization: STATIC_CREDENTIAL, 'x-gateway': 'gatehouse' },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it("serves the upstream's tools; the upstream sees the static credential, never the client's token or cookies", async () => {
    const token = await tokenFor(issuer, gateway, 'alice');
    const withCookie: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('cookie', 'session=client-cookie-value');
      headers.set('x-forwarded-for', '203.0.113.7');
      return fetch(input, { ...init, headers });
    };
    upstream.seen.length = 0;
    const client = await connectWithToken(gateway.mcpUrl, token, withCookie);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['ask', 'count', 'hello']);
      expect(textOf(await client.callTool({ name: 'hello', arguments: {} }))).toBe(
        'hello from the HTTP upstream',
      );
    } finally {
      await client.close();
    }
    expect(upstream.seen.length).toBeGreaterThanOrEqual(3);
    for (const headers of upstream.seen) {
      expect(headers.authorization).toBe(STATIC_CREDENTIAL);
      expect(headers['x-gateway']).toBe('gatehouse');
      expect(headers.cookie).toBeUndefined();
      expect(headers['x-forwarded-for']).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain(token);
    }
  });

  it('relays server→client requests (elicitation) and progress notifications within the session', async () => {
    const client = new Client(
      { name: 'relay-test', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } } },
    );
    client.setRequestHandler('elicitation/create', async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${await tokenFor(issuer, gateway, 'ada')}` } },
      }),
    );
    try {
      expect(textOf(await client.callTool({ name: 'ask', arguments: {} }))).toBe('hello Ada');
      const progress: number[] = [];
      const counted = await client.callTool(
        { name: 'count', arguments: { n: 3 } },
        { onprogress: (update) => progress.push(update.progress) },
      );
      expect(textOf(counted)).toBe('counted to 3');
      expect(progress).toEqual([1, 2, 3]);
    } finally {
      await client.close();
    }
  });

  it("refuses another principal's session id without reaching the upstream", async () => {
    const aliceToken = await tokenFor(issuer, gateway, 'alice');
    const initialize = await fetch(gateway.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${aliceToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });
    const sessionId = initialize.headers.get('mcp-session-id');
    await initialize.body?.cancel();
    expect(sessionId).toBeTruthy();
    const seenBefore = upstream.seen.length;
    const hijack = await fetch(gateway.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await tokenFor(issuer, gateway, 'mallory')}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId ?? '',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(404);
    expect(upstream.seen.length).toBe(seenBefore);
  });

  it('never passes Set-Cookie or WWW-Authenticate back, and maps an upstream 401 to 502', async () => {
    const refusing = await startUpstreamGateway(issuer, {
      kind: 'http',
      url: `${gateway.mcpUrl.replace('/mcp', '')}/mcp`, // the gateway itself: it answers 401 to a static credential
      headers: { authorization: 'Bearer not-a-valid-token' },
    });
    try {
      const response = await fetch(refusing.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await tokenFor(issuer, refusing, 'bob')}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(502);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /refused the gateway's credentials \(HTTP 401\)/,
      );
    } finally {
      await refusing.close();
    }
  });

  it('answers 502 with a clear message when the upstream is down', async () => {
    const down = await startRecordingUpstream();
    await down.close();
    const logs = capturingLogger();
    const gatewayToNowhere = await startUpstreamGateway(
      issuer,
      { kind: 'http', url: down.url, headers: {} },
      { log: logs.log },
    );
    try {
      const response = await fetch(gatewayToNowhere.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await tokenFor(issuer, gatewayToNowhere, 'bob')}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
      });
      expect(response.status).toBe(502);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(
        /upstream MCP server at http:\/\/127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\)/,
      );
      expect(
        logs.records().some((record) => record.msg === 'upstream unreachable' && record.sub === 'bob'),
      ).toBe(true);
    } finally {
      await gatewayToNowhere.close();
    }
  });

  it('still checks the token before relaying anything', async () => {
    const seenBefore = upstream.seen.length;
    const response = await fetch(gateway.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(upstream.seen.length).toBe(seenBefore);
  });
});
