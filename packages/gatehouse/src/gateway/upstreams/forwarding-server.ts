/**
 * The per-request MCP server that forwards to a principal's stdio child process, one instance per
 * HTTP request as SDK v2's `createMcpHandler` wants.
 *
 * Why a forwarding server and not a raw JSON-RPC relay: the gateway's endpoint serves the
 * 2026-07-28 revision (a per-request envelope, no session, no server→client requests) and the 2025
 * revisions (stateless: every POST gets a fresh instance), while a stdio server speaks one 2025
 * session that begins with `initialize`. A byte relay would hand 2026-07-28 envelopes to a server
 * that does not understand them and would need a session per HTTP client that the stateless
 * endpoint does not have. Here the SDK's `Server` speaks the client's revision on the front, the
 * SDK's `Client` holds one long-lived 2025 session per principal on the back, and each request
 * method is forwarded with its params, results and JSON-RPC errors intact.
 *
 * Forwarded: `tools/list`, `tools/call`, `resources/list`, `resources/templates/list`,
 * `resources/read`, `prompts/list`, `prompts/get`, `completion/complete` (each only when the
 * upstream declares the capability), cancellation (the HTTP request's abort signal) and progress
 * notifications during a request. Not forwarded, because the stateless endpoint has no channel for
 * them: server→client requests (sampling, elicitation, roots — the upstream is told the gateway
 * supports none of them), `listChanged` / `resources/subscribe` notifications, and logging.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { McpServerFactory } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { SessionLease } from './session-pool.js';
import { recordUpstreamFailure, UpstreamUnavailableError } from './upstream.js';

/** What the forwarding server needs of an upstream session. */
export interface ForwardingTarget {
  readonly client: Client;
}

type ForwardedMethod =
  | 'tools/list'
  | 'tools/call'
  | 'resources/list'
  | 'resources/templates/list'
  | 'resources/read'
  | 'prompts/list'
  | 'prompts/get'
  | 'completion/complete';

/** Which request methods are forwarded for which upstream capability. */
const FORWARDED_METHODS: Readonly<
  Record<'tools' | 'resources' | 'prompts' | 'completions', ForwardedMethod[]>
> = {
  tools: ['tools/list', 'tools/call'],
  resources: ['resources/list', 'resources/templates/list', 'resources/read'],
  prompts: ['prompts/list', 'prompts/get'],
  completions: ['completion/complete'],
};

/** Upstream requests may run long (tools): ten minutes, renewed by each progress notification. */
const UPSTREAM_REQUEST_TIMEOUT_MS = 10 * 60_000;

/**
 * Builds the factory `createProtectedMcpHandler` calls per request: lends the principal's upstream
 * session (`acquire`), builds a forwarding server over it, and returns the lease when the SDK closes
 * that server.
 */
export function createForwardingFactory<S extends ForwardingTarget>(
  acquire: (auth: Parameters<McpServerFactory>[0]['authInfo']) => Promise<SessionLease<S>>,
): McpServerFactory {
  return async (ctx) => {
    let lease: SessionLease<S>;
    try {
      lease = await acquire(ctx.authInfo);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) recordUpstreamFailure(ctx.requestInfo, error);
      throw error;
    }
    let server: Server;
    try {
      server = createForwardingServer(lease.session);
    } catch (error) {
      lease.release();
      throw error;
    }
    // The SDK closes each per-request instance when its exchange ends, on every path.
    const close = server.close.bind(server);
    server.close = async () => {
      lease.release();
      await close();
    };
    const onclose = server.onclose;
    server.onclose = () => {
      lease.release();
      onclose?.();
    };
    return server;
  };
}

/** A low-level SDK `Server` that mirrors `target`'s upstream and forwards requests to it. */
export function createForwardingServer(target: ForwardingTarget): Server {
  const { client } = target;
  const upstream = client.getServerCapabilities() ?? {};
  const info = client.getServerVersion() ?? { name: 'upstream', version: '0.0.0' };
  const capabilities: Record<string, object> = {};
  for (const capability of Object.keys(FORWARDED_METHODS) as (keyof typeof FORWARDED_METHODS)[]) {
    if (upstream[capability] !== undefined) capabilities[capability] = {};
  }
  const instructions = client.getInstructions();
  const server = new Server(
    { name: info.name, version: info.version, ...(info.title === undefined ? {} : { title: info.title }) },
    { capabilities, ...(instructions === undefined ? {} : { instructions }) },
  );
  for (const [capability, methods] of Object.entries(FORWARDED_METHODS)) {
    if (capabilities[capability] === undefined) continue;
    for (const method of methods) {
      server.setRequestHandler(method as 'tools/list', async (request, ctx) => {
        const result = await forward(target, method, request.params as Params | undefined, ctx);
        return (
          method === 'tools/call' ? server.projectCallToolResult(result as never, undefined) : result
        ) as never;
      });
    }
  }
  return server;
}

type Params = Record<string, unknown> & { _meta?: Record<string, unknown> };

interface ForwardContext {
  readonly http?: { readonly req?: Request };
  readonly mcpReq: {
    readonly signal: AbortSignal;
    notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  };
}

async function forward(
  target: ForwardingTarget,
  method: ForwardedMethod,
  params: Params | undefined,
  ctx: ForwardContext,
): Promise<unknown> {
  const { params: upstreamParams, progressToken } = toUpstreamParams(params);
  try {
    return await target.client.request(
      { method, ...(upstreamParams === undefined ? {} : { params: upstreamParams }) } as never,
      {
        signal: ctx.mcpReq.signal,
        timeout: UPSTREAM_REQUEST_TIMEOUT_MS,
        resetTimeoutOnProgress: true,
        ...(progressToken === undefined
          ? {}
          : {
              onprogress: (progress: Record<string, unknown>) => {
                void ctx.mcpReq
                  .notify({ method: 'notifications/progress', params: { ...progress, progressToken } })
                  .catch(() => {});
              },
            }),
      },
    );
  } catch (error) {
    // A JSON-RPC error from the upstream (unknown tool, invalid params…) goes to the client as is.
    if (error instanceof ProtocolError) throw error;
    if (ctx.mcpReq.signal.aborted)
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'the request was cancelled');
    const message = `the upstream MCP server did not answer ${method}: the connection to it was lost`;
    recordUpstreamFailure(ctx.http?.req, new UpstreamUnavailableError(502, message, { cause: error }));
    throw new ProtocolError(ProtocolErrorCode.InternalError, message);
  }
}

/**
 * The params sent upstream: the client's, minus the 2026-07-28 envelope keys in `_meta` (the
 * upstream session has its own) and minus the client's `progressToken` (the SDK client uses its own
 * and the gateway maps progress back).
 */
function toUpstreamParams(params: Params | undefined): {
  params: Params | undefined;
  progressToken: unknown;
} {
  if (params?._meta === undefined) return { params, progressToken: undefined };
  const { progressToken, ...rest } = params._meta;
  const meta = Object.fromEntries(
    Object.entries(rest).filter(([key]) => !key.startsWith('io.modelcontextprotocol/')),
  );
  const { _meta: _dropped, ...others } = params;
  return {
    params: Object.keys(meta).length > 0 ? { ...others, _meta: meta } : others,
    progressToken,
  };
}
