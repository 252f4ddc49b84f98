import { canonicalResourceUri, isLoopbackHostname } from '@gatehouse/core';
import { createResourceServer } from '@gatehouse/resource-server';
import { createProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import type { ServeOptions } from '../cli/serve-options.js';
import { createDemoServerFactory, DEMO_SCOPE_REQUIREMENTS, DEMO_WRITE_SCOPE } from './demo-server.js';
import { discoverJwksUri } from './discover-jwks-uri.js';
import { listen, type RunningHttpServer } from './listen.js';

/** A running gateway: the MCP endpoint behind OAuth, and what clients need to know about it. */
export interface RunningGateway {
  readonly http: RunningHttpServer;
  /** The MCP endpoint URL (also the resource identifier tokens must name as audience). */
  readonly mcpUrl: string;
  /** The Protected Resource Metadata URL advertised in challenges. */
  readonly metadataUrl: string;
  readonly issuer: string;
  readonly jwksUri: string;
  close(): Promise<void>;
}

/**
 * Starts `gatehouse serve`: Protected Resource Metadata, token and Origin checks, and the demo MCP
 * server at `/mcp`, trusting the external issuer given in `options`.
 *
 * Outbound fetches (issuer metadata, JWKS) go through `safeFetch`; loopback destinations are
 * allowed only when the issuer itself is on loopback (local development).
 */
export async function startGateway(options: ServeOptions): Promise<RunningGateway> {
  const policy = { allowLoopback: isLoopbackHostname(new URL(options.issuer).hostname) };
  const jwksUri = options.jwksUri ?? (await discoverJwksUri(options.issuer, policy));
  // Bind first, so that port 0 yields the real port before the resource URI is fixed.
  let handler: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  const http = await listen((request) => handler(request), { host: options.host, port: options.port });
  const publicUrl = options.publicUrl ?? `http://${hostForUrl(options.host)}:${http.address.port}`;
  const resource = canonicalResourceUri(`${publicUrl}/mcp`);
  const resourceServer = createResourceServer({
    resource,
    authorizationServers: [options.issuer],
    verify: { issuer: options.issuer, audience: resource, jwksUri, jwksPolicy: policy },
    scopesSupported: [...new Set([...options.scopes, DEMO_WRITE_SCOPE])],
    scopes: DEMO_SCOPE_REQUIREMENTS,
    origin: { allowedOrigins: [...options.allowedOrigins] },
    resourceName: 'Gatehouse demo MCP server',
  });
  const mcpHandler = createProtectedMcpHandler({ resourceServer, server: createDemoServerFactory() });
  const mcpPath = new URL(resource).pathname;
  handler = async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === mcpPath || pathname.startsWith('/.well-known/oauth-protected-resource')) {
      return mcpHandler(request);
    }
    return Response.json(
      { error: 'not_found', error_description: `the MCP endpoint is ${mcpPath}` },
      { status: 404 },
    );
  };
  return {
    http,
    mcpUrl: resource,
    metadataUrl: resourceServer.metadataUrl,
    issuer: options.issuer,
    jwksUri,
    close: async () => {
      await mcpHandler.close();
      await http.close();
    },
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
