import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { canonicalResourceUri, isLoopbackHostname } from '@gatehouse/core';
import { createResourceServer, type ResourceServer } from '@gatehouse/resource-server';
import { createProtectedMcpHandler } from '@gatehouse/resource-server/mcp';
import { getRequestListener } from '@hono/node-server';
import type { ServeOptions } from '../cli/serve-options.js';
import { UsageError } from '../cli/usage-error.js';
import {
  DEMO_SCOPE_DESCRIPTIONS,
  startEmbeddedAuthority,
  type TokenAuthority,
  trustExternalIssuer,
} from './authorization.js';
import { DEMO_SCOPE_REQUIREMENTS, DEMO_WRITE_SCOPE } from './demo-server.js';
import { listen, type NodeListener, type RunningHttpServer } from './listen.js';
import { type GatewayLogger, silentLogger } from './logger.js';
import { createRelayEndpoint } from './relay-endpoint.js';
import { type SubjectNotes, withRequestLog } from './request-log.js';
import { createUpstream } from './upstreams/create-upstream.js';
import { type Upstream, type UpstreamUnavailableError, upstreamFailureOf } from './upstreams/upstream.js';

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
  /** What is behind the MCP endpoint, in one line. */
  readonly upstreamDescription: string;
  /** A one-time URL to create the first account of the embedded server, when none exists. */
  setupUrl(): Promise<string | undefined>;
  /**
   * Graceful shutdown: stops accepting connections, lets in-flight requests finish (up to
   * {@link SHUTDOWN_GRACE_MS}), then stops the upstream's child processes and closes the database.
   */
  close(): Promise<void>;
}

/** What the gateway takes from the process around it; all optional. */
export interface GatewayRuntime {
  /** Default: a silent logger. */
  readonly log?: GatewayLogger;
  /** The environment `--pass-env` reads from. Default: empty (children get the safe default set only). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where relative paths (`--module`, `--cert`) are resolved. Default: `process.cwd()`. */
  readonly cwd?: string;
}

/** How long in-flight requests get to finish on shutdown before their connections are closed. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Starts `gatehouse serve`: the embedded authorization server at `/oauth` (or trust in an external
 * issuer), Protected Resource Metadata, token and Origin checks, and the upstream MCP server
 * (demo, stdio, HTTP or module) at `/mcp`.
 */
export async function startGateway(
  options: ServeOptions,
  runtime: GatewayRuntime = {},
): Promise<RunningGateway> {
  const log = runtime.log ?? silentLogger();
  const cwd = runtime.cwd ?? process.cwd();
  const tls = options.tls === undefined ? undefined : await readTlsFiles(options.tls, cwd);
  const upstreamOptions = options.upstream ?? { kind: 'demo' as const };
  const upstream = await createUpstream(upstreamOptions, { log, env: runtime.env ?? {}, cwd });
  const demo = upstreamOptions.kind === 'demo';

  // Bind first, so that port 0 yields the real port before the resource URI is fixed.
  let route: NodeListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const subjects: SubjectNotes = new WeakMap();
  let http: RunningHttpServer;
  try {
    http = await listen(
      withRequestLog((req, res) => route(req, res), log, subjects),
      { host: options.host, port: options.port, ...(tls === undefined ? {} : { tls }) },
    );
  } catch (error) {
    await upstream.close();
    throw error;
  }
  let authority: TokenAuthority | undefined;
  try {
    const publicUrl =
      options.publicUrl ?? `${http.protocol}://${hostForUrl(options.host)}:${http.address.port}`;
    const resource = canonicalResourceUri(`${publicUrl}/mcp`);
    const resourceName = demo ? 'Gatehouse demo MCP server' : 'MCP server (behind Gatehouse)';
    authority =
      options.issuer === undefined
        ? await startEmbeddedAuthority(options, publicUrl, resource, {
            scopes: demo
              ? DEMO_SCOPE_DESCRIPTIONS
              : { 'mcp:read': 'Use the tools, resources and prompts of this MCP server' },
            name: resourceName,
          })
        : await trustExternalIssuer(options.issuer, options.jwksUri, resource);
    const resourceServer = createResourceServer({
      resource,
      authorizationServers: [authority.issuer],
      verify: authority.verify,
      scopesSupported: demo
        ? [...new Set(['mcp:read', DEMO_WRITE_SCOPE, ...options.scopes])]
        : [...new Set(['mcp:read', ...options.scopes])],
      ...(demo ? { scopes: DEMO_SCOPE_REQUIREMENTS } : {}),
      origin: { allowedOrigins: [...options.allowedOrigins] },
      resourceName,
    });
    const principals = new WeakMap<Request, string>();
    const notePrincipal = (request: Request | undefined, subject: unknown) => {
      if (request !== undefined && typeof subject === 'string') principals.set(request, subject);
    };
    const endpoint = createEndpoint(upstream, resourceServer, notePrincipal, log);
    const mcpPath = new URL(resource).pathname;
    const mcpListener = getRequestListener(async (request, env) => {
      const { pathname } = new URL(request.url);
      if (pathname === mcpPath || pathname.startsWith('/.well-known/oauth-protected-resource')) {
        const response = await endpoint.handle(request);
        const subject = principals.get(request);
        if (subject !== undefined) subjects.set((env as { incoming: IncomingMessage }).incoming, subject);
        const failure = upstreamFailureOf(request);
        return failure === undefined ? response : await upstreamErrorResponse(failure, response);
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
      } else if (guardHost && !hasLoopbackHosts(req, options.trustProxy === true)) {
        refuseForeignHost(res);
      } else {
        routes.listener(req, res);
      }
    };
    const { issuer, keysLocation } = authority;
    const stopAuthority = authority.close;
    let closing: Promise<void> | undefined;
    return {
      http,
      mcpUrl: resource,
      metadataUrl: resourceServer.metadataUrl,
      issuer,
      keysLocation,
      upstreamDescription: upstream.description,
      setupUrl: authority.setupUrl,
      close: () => {
        closing ??= shutdown(http, [endpoint.close, () => upstream.close(), stopAuthority], log);
        return closing;
      },
    };
  } catch (error) {
    await http.close();
    await upstream.close();
    await authority?.close();
    throw error;
  }
}

/**
 * The MCP endpoint for the upstream: `createProtectedMcpHandler` over the upstream's SDK server
 * factory, or the same checks in front of the HTTP relay. Both note each request's verified subject.
 */
function createEndpoint(
  upstream: Upstream,
  resourceServer: ResourceServer,
  notePrincipal: (request: Request | undefined, subject: unknown) => void,
  log: GatewayLogger,
): { handle(request: Request): Promise<Response>; close(): Promise<void> } {
  if (upstream.relay !== undefined) {
    return {
      handle: createRelayEndpoint(resourceServer, upstream.relay, notePrincipal),
      close: async () => {},
    };
  }
  const factory = upstream.factory;
  if (factory === undefined) throw new TypeError('an upstream needs a factory or a relay');
  const handler = createProtectedMcpHandler({
    resourceServer,
    server: (ctx) => {
      notePrincipal(ctx.requestInfo, (ctx.authInfo as { subject?: unknown } | undefined)?.subject);
      return factory(ctx);
    },
    onerror: (error) => log.debug({ err: error.message }, 'MCP endpoint error'),
  });
  return { handle: (request) => handler(request), close: () => handler.close() };
}

/** Stops accepting, waits for in-flight requests (bounded), then runs each stop step in order. */
async function shutdown(
  http: RunningHttpServer,
  steps: readonly (() => Promise<void>)[],
  log: GatewayLogger,
): Promise<void> {
  const stopped = http.close();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace-over'>((resolve) => {
    timer = setTimeout(() => resolve('grace-over'), SHUTDOWN_GRACE_MS);
    timer.unref();
  });
  if ((await Promise.race([stopped, graceOver])) === 'grace-over') {
    log.warn(
      { graceMs: SHUTDOWN_GRACE_MS },
      'closing connections still open after the shutdown grace period',
    );
    http.server.closeAllConnections();
    await stopped;
  }
  clearTimeout(timer);
  for (const step of steps) await step();
}

async function readTlsFiles(
  tls: NonNullable<ServeOptions['tls']>,
  cwd: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (flag: string, file: string) => {
    try {
      return await readFile(resolve(cwd, file));
    } catch (error) {
      throw new UsageError(
        `cannot read ${flag} "${file}": ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        'Give PEM files: the certificate chain to --cert, its private key to --key.',
      );
    }
  };
  return { cert: await read('--cert', tls.certFile), key: await read('--key', tls.keyFile) };
}

/**
 * The answer for a request the upstream could not serve: HTTP 502 / 503 with a JSON-RPC error
 * naming the problem (and `Retry-After` on 503), the request's id kept when the SDK's answer had
 * one. Streamed (SSE) answers are left as they are.
 */
async function upstreamErrorResponse(
  failure: UpstreamUnavailableError,
  response: Response,
): Promise<Response> {
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) return response;
  let id: unknown = null;
  try {
    id = ((await response.clone().json()) as { id?: unknown }).id ?? null;
  } catch {
    // keep null
  }
  await response.body?.cancel();
  return Response.json(
    { jsonrpc: '2.0', id, error: { code: -32000, message: failure.message } },
    {
      status: failure.status,
      headers: {
        'cache-control': 'no-store',
        ...(failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) }),
      },
    },
  );
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

/**
 * The loopback guard's test: `Host`, and with `--trust-proxy` also the first `X-Forwarded-Host`
 * (the host the provider then builds its URLs from), must be loopback names.
 */
function hasLoopbackHosts(req: IncomingMessage, trustProxy: boolean): boolean {
  if (!isLoopbackHostHeader(req.headers.host)) return false;
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  if (forwarded === undefined) return true;
  const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  return isLoopbackHostHeader(value.split(',')[0]?.trim());
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
