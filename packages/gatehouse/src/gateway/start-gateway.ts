import type { ServerResponse } from 'node:http';
import { canonicalResourceUri, isLoopbackHostname } from '@gatehouse/core';
import { createResourceServer } from '@gatehouse/resource-server';
import { createProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import { getRequestListener } from '@hono/node-server';
import type { ServeOptions } from '../cli/serve-options.js';
import { startEmbeddedAuthority, type TokenAuthority, trustExternalIssuer } from './authorization.js';
import { createDemoServerFactory, DEMO_SCOPE_REQUIREMENTS, DEMO_WRITE_SCOPE } from './demo-server.js';
import { listen, type NodeListener, type RunningHttpServer } from './listen.js';

/** A running gateway: the MCP endpoint behind OAuth, and what clients need to know about it. */
export interface RunningGateway {
  readonly http: RunningHttpServer;
  /** The MCP endpoint URL (also the resource identifier tokens must name as audience). */
  readonly mcpUrl: string;
  /** The Protected Resource Metadata URL advertised in challenges. */
  readonly metadataUrl: string;
  /** The issuer whose tokens are accepted (embedded at `<public-url>/oauth`, or external). */
  readonly issuer: string;
  /** Where the issuer's signing keys come from. */
  readonly keysLocation: string;
  /** A one-time URL to create the first account of the embedded server, when none exists. */
  setupUrl(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Starts `gatehouse serve`: the embedded authorization server at `/oauth` (or trust in an external
 * issuer), Protected Resource Metadata, token and Origin checks, and the demo MCP server at `/mcp`.
 */
export async function startGateway(options: ServeOptions): Promise<RunningGateway> {
  // Bind first, so that port 0 yields the real port before the resource URI is fixed.
  let route: NodeListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const http = await listen((req, res) => route(req, res), { host: options.host, port: options.port });
  let authority: TokenAuthority | undefined;
  try {
    const publicUrl = options.publicUrl ?? `http://${hostForUrl(options.host)}:${http.address.port}`;
    const resource = canonicalResourceUri(`${publicUrl}/mcp`);
    authority =
      options.issuer === undefined
        ? await startEmbeddedAuthority(options, publicUrl, resource)
        : await trustExternalIssuer(options.issuer, options.jwksUri, resource);
    const resourceServer = createResourceServer({
      resource,
      authorizationServers: [authority.issuer],
      verify: authority.verify,
      scopesSupported: [...new Set(['mcp:read', DEMO_WRITE_SCOPE, ...options.scopes])],
      scopes: DEMO_SCOPE_REQUIREMENTS,
      origin: { allowedOrigins: [...options.allowedOrigins] },
      resourceName: 'Gatehouse demo MCP server',
    });
    const mcpHandler = createProtectedMcpHandler({ resourceServer, server: createDemoServerFactory() });
    const mcpPath = new URL(resource).pathname;
    const mcpListener = getRequestListener(async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === mcpPath || pathname.startsWith('/.well-known/oauth-protected-resource')) {
        return mcpHandler(request);
      }
      return Response.json(
        { error: 'not_found', error_description: `the MCP endpoint is ${mcpPath}` },
        { status: 404 },
      );
    });
    const routes = authority.routes;
    const guardHost = isLoopbackHostname(new URL(publicUrl).hostname);
    route = (req, res) => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (!routes?.handles(pathname)) {
        void mcpListener(req, res); // the resource server checks Origin and Host itself
      } else if (guardHost && !isLoopbackHostHeader(req.headers.host)) {
        refuseForeignHost(res);
      } else {
        routes.listener(req, res);
      }
    };
    const { issuer, keysLocation } = authority;
    const stopAuthority = authority.close;
    return {
      http,
      mcpUrl: resource,
      metadataUrl: resourceServer.metadataUrl,
      issuer,
      keysLocation,
      setupUrl: authority.setupUrl,
      close: async () => {
        await mcpHandler.close();
        await http.close();
        await stopAuthority();
      },
    };
  } catch (error) {
    await http.close();
    await authority?.close();
    throw error;
  }
}

/**
 * DNS rebinding defence for the embedded authorization server on a loopback URL: a page on another
 * site whose name was rebound to 127.0.0.1 sends its own name in `Host`; only loopback names pass.
 */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return isLoopbackHostname(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

function refuseForeignHost(res: ServerResponse): void {
  res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(
    JSON.stringify({
      error: 'forbidden',
      error_description: 'this server answers only to loopback host names',
    }),
  );
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
