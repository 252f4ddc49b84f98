/**
 * Shared pieces of the browser tests: an authorization server on loopback (memory storage, one
 * resource), the client's loopback redirect listener, PKCE, and screenshot settings.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  createMemoryStorage,
} from '@gatehouse/authorization-server';

/** Screenshots are written only when UPDATE_SCREENSHOTS=1. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../docs/screenshots');

/** Starts a node:http server on 127.0.0.1, port 0. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Closes a server and its open connections. */
export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An authorization server on loopback with one resource, memory storage. */
export async function startAuthorizationServer() {
  let as: AuthorizationServer | undefined;
  const { server, origin } = await listen((req, res) => {
    if (as === undefined) res.writeHead(503).end();
    else as.listener(req, res);
  });
  const resource = `${origin}/mcp`;
  as = await createAuthorizationServer({
    issuer: `${origin}/oauth`,
    storage: createMemoryStorage(),
    resources: [
      {
        resource,
        name: 'Notes MCP server',
        scopes: { 'notes:read': 'Read your notes', 'notes:write': 'Create and change your notes' },
      },
    ],
  });
  const metadata = (await (
    await fetch(`${origin}/.well-known/oauth-authorization-server/oauth`)
  ).json()) as Record<string, string>;
  return { as, server, origin, resource, metadata };
}

/** The client's loopback redirect listener (RFC 8252 §7.3): resolves with each callback's query. */
export async function startCallbackListener() {
  const waiting: Array<(query: URLSearchParams) => void> = [];
  const { server, origin } = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
    waiting.shift()?.(url.searchParams);
  });
  return {
    server,
    redirectUri: `${origin}/callback`,
    next: () => new Promise<URLSearchParams>((resolve) => waiting.push(resolve)),
  };
}

/** A PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2). */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
