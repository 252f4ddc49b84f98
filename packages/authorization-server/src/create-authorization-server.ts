/**
 * The embedded authorization server: node-oidc-provider configured as an MCP authorization server
 * (MCP requirements §10.3), persisted through a {@link Storage}, mounted under its issuer's path on
 * node:http, with the interaction pages and the RFC 8414 metadata routes.
 */
import { channel } from 'node:diagnostics_channel';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '@gatehouse/core';
import Provider from 'oidc-provider';
import { type AccountService, createAccountService } from './accounts/accounts.js';
import { issueSetupToken } from './accounts/setup-token.js';
import { type CimdResolver, createCimdResolver, withClientIdMetadataDocuments } from './cimd/index.js';
import { createInteractionRoutes } from './interactions/routes.js';
import { type KeySet, loadOrCreateKeys } from './keys/keys.js';
import { createProviderConfiguration } from './provider/configuration.js';
import { installDeviceFlow } from './provider/device-flow.js';
import { createMountedListener } from './provider/mount.js';
import { type AuthorizationServerOptions, type ResolvedOptions, resolveOptions } from './provider/options.js';
import { createRateLimiter } from './provider/registration-rate-limit.js';
import { createStorageAdapter } from './provider/storage-adapter.js';
import { createUpstreamSignIn } from './upstream/index.js';

export { CIMD_DEFAULTS, type CimdOptions } from './cimd/policy.js';
export type {
  AuthorizationServerOptions,
  RegistrationMode,
  RegistrationRateLimitOptions,
  ResourceOptions,
  TtlOptions,
} from './provider/options.js';
export { AUTHORIZATION_SERVER_DEFAULTS } from './provider/options.js';
export { UPSTREAM_DEFAULTS, type UpstreamOptions } from './upstream/options.js';

/** The diagnostics channel on which the server reports provider errors (`{ type, error }`); nothing is printed. */
export const AUTHORIZATION_SERVER_CHANNEL = 'gatehouse:authorization-server';

/** A running authorization server. */
export interface AuthorizationServer {
  /** The issuer identifier (RFC 8414 §2), normalised (lower-case scheme and host). */
  readonly issuer: string;
  /** The issuer's path (`/oauth`), or `''` for a root issuer. */
  readonly mountPath: string;
  /** The oidc-provider instance (for advanced use; its configuration is the MCP profile). */
  readonly provider: Provider;
  /** The signing and cookie keys in use. */
  readonly keys: KeySet;
  /** The local accounts. */
  readonly accounts: AccountService;
  /**
   * The node:http listener: `/.well-known/oauth-authorization-server<mountPath>` and
   * `/.well-known/openid-configuration<mountPath>` at the host root, everything under the mount
   * path, and a JSON 404 for the rest.
   */
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** A one-time URL to create the first account (`${issuer}/setup?token=…`), or undefined when an account exists. */
  setupUrl(): Promise<string | undefined>;
  /**
   * Creates an RFC 7591 §3 initial access token (registration mode `initial-access-token`).
   * Resolves the token value (single-purpose, not single-use: valid for `ttlSeconds`, default one day).
   */
  issueInitialAccessToken(options?: { ttlSeconds?: number }): Promise<string>;
  /** Stops the server's timers. It does NOT close the storage (the caller owns it) or any HTTP server. */
  close(): Promise<void>;
}

const diagnostics = channel(AUTHORIZATION_SERVER_CHANNEL);

/** A listener publishing `{ type, error }` on the diagnostics channel. */
function report(type: string): (...args: unknown[]) => void {
  return (...args) => {
    const error = args.find((arg) => arg instanceof Error);
    if (diagnostics.hasSubscribers) diagnostics.publish({ type, error });
  };
}

function publishErrors(provider: Provider): void {
  // Koa prints unhandled errors unless an 'error' listener exists: libraries do not print.
  const events = provider as unknown as EventEmitter;
  events.on('error', report('error'));
  events.on('server_error', report('server_error'));
}

function buildProvider(
  options: ResolvedOptions,
  keys: KeySet,
  accounts: AccountService,
  cimd: CimdResolver,
): Provider {
  const configuration = createProviderConfiguration({
    options,
    keys,
    accounts,
    adapter: withClientIdMetadataDocuments(
      createStorageAdapter(options.storage, {
        refreshTokenReuseWindowSeconds: options.refreshTokenReuseWindowSeconds,
      }),
      cimd,
    ),
  });
  const provider = new Provider(options.issuer, configuration);
  publishErrors(provider);
  installDeviceFlow(provider);
  return provider;
}

/**
 * Creates the authorization server. Options are validated first (an invalid issuer, no resources,
 * `offline_access` as a resource scope, a TTL out of range → `TypeError` with a `code` and a hint);
 * then the keys are loaded from the storage (created on first start) and the provider is built.
 *
 * It does NOT listen on a port, print the setup URL, or trust `X-Forwarded-*` headers.
 *
 * @example
 * const server = await createAuthorizationServer({
 *   issuer: 'http://127.0.0.1:8080/oauth',
 *   storage: createMemoryStorage(),
 *   resources: [{ resource: 'http://127.0.0.1:8080/mcp', scopes: { 'mcp:tools': 'Use the tools' } }],
 * });
 * http.createServer(server.listener).listen(8080, '127.0.0.1');
 */
export async function createAuthorizationServer(
  options: AuthorizationServerOptions,
): Promise<AuthorizationServer> {
  const resolved = resolveOptions(options);
  const { storage, issuer, mountPath } = resolved;
  const keys = await loadOrCreateKeys(storage.keys);
  const accounts = createAccountService(storage);
  const cimd = createCimdResolver(resolved.cimd);
  const provider = buildProvider(resolved, keys, accounts, cimd);
  const upstream =
    resolved.upstream === undefined
      ? undefined
      : createUpstreamSignIn({ upstream: resolved.upstream, provider, storage, issuer, mountPath });

  const interactionRoutes = createInteractionRoutes({
    provider,
    accounts,
    storage,
    mountPath,
    ...(upstream === undefined ? {} : { upstream }),
    resources: new Map(
      [...resolved.resources].map(([resource, entry]) => [
        resource,
        { scopes: { ...entry.scopes }, ...(entry.name === undefined ? {} : { name: entry.name }) },
      ]),
    ),
  });
  const listener = createMountedListener({
    provider,
    mountPath,
    routes: [interactionRoutes],
    onError: report('route_error'),
    ...(resolved.registrationRateLimit === false
      ? {}
      : { registrationLimiter: createRateLimiter(resolved.registrationRateLimit) }),
  });

  return {
    issuer,
    mountPath,
    provider,
    keys,
    accounts,
    listener,
    async setupUrl() {
      if ((await accounts.count()) > 0) return undefined;
      const token = await issueSetupToken(storage.settings);
      return `${issuer}/setup?token=${encodeURIComponent(token)}`;
    },
    async issueInitialAccessToken({ ttlSeconds = 24 * 3600 } = {}) {
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 60) {
        throw invalidArgument('"ttlSeconds" must be an integer of at least 60');
      }
      const token = new provider.InitialAccessToken({ expiresIn: ttlSeconds });
      return token.save();
    },
    close() {
      // No timers yet (key rotation will add one); kept so callers already release the server.
      return Promise.all([cimd.close(), upstream?.close()]).then(() => undefined);
    },
  };
}
