import type { McpServerFactory } from '@modelcontextprotocol/server';
import type { HttpRelay } from './http-relay.js';

/**
 * What `gatehouse serve` puts behind OAuth, served one of two ways: a `factory` of SDK v2 servers
 * (one per HTTP request, as `createMcpHandler` wants: demo, module, stdio) or an HTTP `relay`
 * (`--upstream`). Exactly one of the two is set.
 */
export interface Upstream {
  /** One line for the banner and the log, e.g. `stdio: node server.js (one process per user)`. */
  readonly description: string;
  /** Builds the MCP server for one request; receives the verified token's `authInfo`. */
  readonly factory?: McpServerFactory;
  /** Relays authenticated HTTP exchanges to an HTTP MCP server. */
  readonly relay?: HttpRelay;
  /** Stops every child process / upstream session. Idempotent. */
  close(): Promise<void>;
}

/**
 * The upstream cannot serve this request: the process limit is reached (503), or a child process
 * failed to start or died (502). The gateway answers with `status` and
 * a JSON-RPC error carrying `message`, which never contains a token or an upstream credential.
 */
export class UpstreamUnavailableError extends Error {
  override readonly name = 'UpstreamUnavailableError';
  readonly code = 'ERR_UPSTREAM_UNAVAILABLE';
  /** 502 (the upstream failed) or 503 (try again later). */
  readonly status: 502 | 503;
  /** Seconds after which a retry may succeed (503 only). */
  readonly retryAfter: number | undefined;
  constructor(status: 502 | 503, message: string, options: { retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.retryAfter = options.retryAfter;
  }
}

const failures = new WeakMap<Request, UpstreamUnavailableError>();

/**
 * Notes that the upstream failed while serving `request`, so that the gateway answers it with the
 * error's HTTP status and message instead of the SDK's generic 500 / 200-with-error.
 */
export function recordUpstreamFailure(request: Request | undefined, error: UpstreamUnavailableError): void {
  if (request !== undefined) failures.set(request, error);
}

/** The failure recorded for `request`, if any. */
export function upstreamFailureOf(request: Request): UpstreamUnavailableError | undefined {
  return failures.get(request);
}
