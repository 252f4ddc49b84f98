/** Shared fixtures of the adapter tests: a resource server whose verifier knows two fixed tokens. */
import { InvalidToken } from '@gatehouse/core';
import { createAuthInfo } from '../auth-info.js';
import { createResourceServer, type ResourceServer } from '../resource-server.js';

export const RESOURCE = 'http://127.0.0.1:8080/mcp';
export const PRM_PATH = '/.well-known/oauth-protected-resource/mcp';
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
