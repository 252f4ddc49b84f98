import { createResourceServer } from '@gatehouse/resource-server';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import { createRelayEndpoint } from './relay-endpoint.js';
import type { HttpRelay } from './upstreams/http-relay.js';

const RESOURCE = 'http://127.0.0.1:8080/mcp';

describe('createRelayEndpoint', () => {
  const issuer = useTestIssuer({ audience: RESOURCE });
  let forwarded: (Uint8Array | undefined)[];
  let endpoint: (request: Request) => Promise<Response>;

  beforeEach(() => {
    forwarded = [];
    const relay: HttpRelay = {
      forward: async (_request, _principal, body) => {
        forwarded.push(body);
        return new Response(null, { status: 202 });
      },
      checkReachable: async () => true,
    };
    const resourceServer = createResourceServer({
      resource: RESOURCE,
      authorizationServers: [issuer.issuer],
      verify: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, jwksPolicy: { allowLoopback: true } },
    });
    endpoint = createRelayEndpoint(resourceServer, relay, () => {});
  });

  const streamOf = (...chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    new Request(RESOURCE, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      duplex: 'half',
    } as RequestInit);

  it('forwards the exact body bytes of an authenticated POST', async () => {
    const token = await issuer.mintAccessToken();
    const response = await endpoint(
      post(streamOf('{"jsonrpc":"2.0",', '"id":1,"method":"ping"}'), { authorization: `Bearer ${token}` }),
    );
    expect(response.status).toBe(202);
    expect(new TextDecoder().decode(forwarded[0])).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  });

  it('answers 413 with a JSON-RPC error for a body over 4 MiB, before authentication and without relaying', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024 + 1);
    for (const request of [
      post(big, { 'content-length': String(big.length) }),
      post(streamOf(big.slice(0, 1024), big.slice(1024))),
    ]) {
      const response = await endpoint(request);
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32600, message: 'Request body too large' },
        id: null,
      });
    }
    expect(forwarded).toEqual([]);
  });

  it('answers 404 with a JSON-RPC error outside the resource path', async () => {
    const response = await endpoint(
      new Request('http://127.0.0.1:8080/other', { method: 'POST', body: '{}' }),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: -32601 }, id: null });
    expect(forwarded).toEqual([]);
  });
});
