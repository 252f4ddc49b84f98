/**
 * Child process of the resource-server benchmark: serves the same MCP server twice on loopback,
 * unprotected and behind Gatehouse's resource server, plus a JWKS for the protected one. Prints
 * one JSON line with the URLs and a valid access token, then serves until killed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResourceServer } from '@gatehouse/resource-server';
import { createProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import { getRequestListener } from '@hono/node-server';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as z from 'zod';

function createBenchServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  return server;
}

async function listenOnLoopback(
  handler: (request: Request) => Promise<Response> | Response,
): Promise<string> {
  const server = createServer(getRequestListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-key', alg: 'ES256', use: 'sig' };
const issuer = await listenOnLoopback(() => Response.json({ keys: [jwk] }));

// The anchor parses the JSON body once and hands it to the SDK, as the protected endpoint does, so
// that the ratio measures the protection and not a difference in body handling.
const unprotected = createMcpHandler(createBenchServer);
const unprotectedUrl = `${await listenOnLoopback(async (request) =>
  unprotected.fetch(request, { parsedBody: await request.json() }),
)}/mcp`;

let protectedHandler: (request: Request) => Promise<Response> = async () =>
  new Response(null, { status: 503 });
const protectedOrigin = await listenOnLoopback((request) => protectedHandler(request));
const resource = `${protectedOrigin}/mcp`;
const resourceServer = createResourceServer({
  resource,
  authorizationServers: [issuer],
  verify: { issuer, audience: resource, jwksUri: `${issuer}/jwks.json`, jwksPolicy: { allowLoopback: true } },
  scopesSupported: ['mcp:tools', 'mcp:write'],
  scopes: { tools: { delete_everything: ['mcp:write'] } },
});
protectedHandler = createProtectedMcpHandler({ resourceServer, server: createBenchServer });

const token = await new SignJWT({ client_id: 'bench-client', scope: 'mcp:tools' })
  .setProtectedHeader({ alg: 'ES256', kid: 'bench-key', typ: 'at+jwt' })
  .setIssuer(issuer)
  .setAudience(resource)
  .setSubject('bench-user')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(privateKey);

process.stdout.write(`${JSON.stringify({ unprotectedUrl, protectedUrl: resource, token, issuer, jwk })}\n`);

// Exit normally on SIGTERM, so that `--cpu-prof` (when profiling the benchmark) can write its file.
process.once('SIGTERM', () => process.exit(0));
