/** Shared fixtures of the adapter tests: a resource server whose verifier knows two fixed tokens. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidToken } from '@gatehouse/core';
import { afterAll } from 'vitest';
import { createAuthInfo } from '../auth-info.js';
import { createResourceServer, type ResourceServer } from '../resource-server.js';

export const RESOURCE = 'http://127.0.0.1:8080/mcp';
export const PRM_PATH = '/.well-known/oauth-protected-resource/mcp';
/** The `Host` header of a request to `RESOURCE` (Request objects built in-process carry none). */
export const RESOURCE_HOST = { host: '127.0.0.1:8080' };
/** Grants `mcp:tools`. */
export const READ_TOKEN = 'read-token';
/** Grants `mcp:tools mcp:write`. */
export const WRITE_TOKEN = 'write-token';

/** A resource server for `RESOURCE` where `delete_file` needs `mcp:write`; `resource` may be overridden (port 0 servers). */
export function createTestResourceServer(resource: string = RESOURCE): ResourceServer {
  return createResourceServer({
    resource,
    authorizationServers: ['https://as.example'],
    verify: {
      async verify(token) {
        if (token !== READ_TOKEN && token !== WRITE_TOKEN)
          throw new InvalidToken({ description: 'unknown token' });
        return createAuthInfo(token, {
          clientId: 'client-1',
          subject: token === WRITE_TOKEN ? 'writer' : 'reader',
          scopes: token === WRITE_TOKEN ? ['mcp:tools', 'mcp:write'] : ['mcp:tools'],
          issuer: 'https://as.example',
          audience: [resource],
          claims: {},
        });
      },
    },
    scopes: { default: ['mcp:tools'], tools: { delete_file: ['mcp:write'] } },
  });
}

/** A JSON-RPC `tools/call` body. */
export function toolCall(name: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });
}

/** Headers of a JSON request: `content-type`, `extra`, and `Authorization: Bearer <token>` when a token is given. */
export function jsonHeaders(token?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...extra,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

/** A `RequestInit` that POSTs the `tools/call` of `name` (see {@link jsonHeaders} for the headers). */
export function toolCallInit(
  name: string,
  token?: string,
  extraHeaders: Record<string, string> = {},
): RequestInit {
  return { method: 'POST', headers: jsonHeaders(token, extraHeaders), body: toolCall(name) };
}

/**
 * Returns `listen(listener)`, which serves `listener` with node:http on 127.0.0.1 port 0 and resolves
 * to the server's origin. Every server it started is closed, connections dropped, in `afterAll`.
 */
export function useLoopbackServers(): (listener: RequestListener) => Promise<string> {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  return async (listener) => {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
}
