/**
 * The embedded authorization server: node-oidc-provider configured as an MCP authorization server
 * (MCP requirements §10.3), persisted through a {@link Storage}, mounted under its issuer's path on
 * node:http, with the interaction pages and the RFC 8414 metadata routes.
 */
import { createHash } from 'node:crypto';
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
import { installDeviceFlow, USER_CODE_ATTEMPTS } from './provider/device-flow.js';
import { createPollingTracker } from './provider/device-polling.js';
import { createMountedListener } from './provider/mount.js';
import { type AuthorizationServerOptions, type ResolvedOptions, resolveOptions } from './provider/options.js';
import { createRateLimiter, type RateLimiter } from './provider/registration-rate-limit.js';
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
  /**
   * The oidc-provider instance in use (for advanced use; its configuration is the MCP profile).
   * It is replaced when the keys change (see {@link reloadKeys}): read it when you need it, do not
   * keep it.
   */
  readonly provider: Provider;
  /** The signing and cookie keys in use (replaced, not changed, when they change). */
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
  /**
   * Reads the keys from the storage again (as the `keyReloadIntervalSeconds` timer does). When they
   * differ from those in use (a rotation by `gatehouse keys rotate` or by another instance on the
   * same database, or a retired key past its expiry), builds a new provider with them and switches
   * the listener to it: requests already running finish on the previous provider, new requests go
   * to the new one. Resolves `true` when it switched. Concurrent calls share one read. Rejects
   * with the storage's error (e.g. `StorageUnavailable`) and keeps the keys in use.
   */
  reloadKeys(): Promise<boolean>;
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

/** State kept across provider rebuilds: the per-process rate limits and device polling records. */
interface SharedState {
  readonly accounts: AccountService;
  readonly cimd: CimdResolver;
  readonly deviceFlow: Parameters<typeof installDeviceFlow>[1];
}

function buildProvider(options: ResolvedOptions, keys: KeySet, shared: SharedState): Provider {
  const configuration = createProviderConfiguration({
    options,
    keys,
    accounts: shared.accounts,
    adapter: withClientIdMetadataDocuments(
      createStorageAdapter(options.storage, {
        refreshTokenReuseWindowSeconds: options.refreshTokenReuseWindowSeconds,
      }),
      shared.cimd,
    ),
  });
  const provider = new Provider(options.issuer, configuration);
  if (options.trustProxy) {
    // Koa: X-Forwarded-Host / -Proto build the URLs; ctx.ip is the last X-Forwarded-For entry.
    provider.proxy = true;
    provider.maxIpsCount = 1;
  }
  publishErrors(provider);
  installDeviceFlow(provider, shared.deviceFlow);
  return provider;
}

/** A provider built for one key set, with its listener. */
interface Generation {
  readonly provider: Provider;
  readonly keys: KeySet;
  /** Identifies the key set (kids and cookie keys, hashed): equal fingerprints, same keys. */
  readonly fingerprint: string;
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
}

function fingerprintOf(keys: KeySet): string {
  const kids = keys.signing.keys.map((key) => key.kid ?? '');
  return createHash('sha256')
    .update(JSON.stringify([kids, keys.cookieKeys]))
    .digest('base64url');
}

/**
 * Creates the authorization server. Options are validated first (an invalid issuer, no resources,
 * `offline_access` as a resource scope, a TTL out of range → `TypeError` with a `code` and a hint);
 * then the keys are loaded from the storage (created on first start) and the provider is built.
 *
 * Keys rotated elsewhere (another instance, `gatehouse keys rotate`) are picked up every
 * `keyReloadIntervalSeconds` (default 30) or on {@link AuthorizationServer.reloadKeys}.
 *
 * It does NOT listen on a port or print the setup URL, and trusts `X-Forwarded-*` headers only
 * with `trustProxy`.
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
  // A new cookie key signs only once every instance has had one reload to learn it.
  const loadKeys = () =>
    loadOrCreateKeys(storage.keys, { cookieKeyDelaySeconds: resolved.keyReloadIntervalSeconds });
  const initialKeys = await loadKeys();
  const accounts = createAccountService(storage);
  const cimd = createCimdResolver(resolved.cimd);
  const shared: SharedState = {
    accounts,
    cimd,
    deviceFlow: { polling: createPollingTracker(), attempts: createRateLimiter(USER_CODE_ATTEMPTS) },
  };
  const registrationLimiter: RateLimiter | undefined =
    resolved.registrationRateLimit === false ? undefined : createRateLimiter(resolved.registrationRateLimit);
  const resources = new Map(
    [...resolved.resources].map(([resource, entry]) => [
      resource,
      { scopes: { ...entry.scopes }, ...(entry.name === undefined ? {} : { name: entry.name }) },
    ]),
  );
  let current: Generation;
  const upstream =
    resolved.upstream === undefined
      ? undefined
      : createUpstreamSignIn({
          upstream: resolved.upstream,
          provider: () => current.provider,
          storage,
          issuer,
          mountPath,
        });

  function buildGeneration(keys: KeySet): Generation {
    const provider = buildProvider(resolved, keys, shared);
    const interactionRoutes = createInteractionRoutes({
      provider,
      accounts,
      storage,
      mountPath,
      resources,
      trustProxy: resolved.trustProxy,
      ...(upstream === undefined ? {} : { upstream }),
    });
    const listener = createMountedListener({
      provider,
      mountPath,
      routes: [interactionRoutes],
      onError: report('route_error'),
      trustProxy: resolved.trustProxy,
      ...(registrationLimiter === undefined ? {} : { registrationLimiter }),
    });
    return { provider, keys, fingerprint: fingerprintOf(keys), listener };
  }

  current = buildGeneration(initialKeys);
  let reloading: Promise<boolean> | undefined;

  async function switchIfChanged(): Promise<boolean> {
    const keys = await loadKeys();
    const fingerprint = fingerprintOf(keys);
    if (fingerprint === current.fingerprint) return false;
    current = buildGeneration(keys);
    if (diagnostics.hasSubscribers) {
      diagnostics.publish({ type: 'keys_reloaded', kids: keys.signing.keys.map((key) => key.kid) });
    }
    return true;
  }

  function reloadKeys(): Promise<boolean> {
    reloading ??= switchIfChanged().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  const onReloadError = report('key_reload_error');
  const timer =
    resolved.keyReloadIntervalSeconds === 0
      ? undefined
      : setInterval(() => {
          reloadKeys().catch(onReloadError);
        }, resolved.keyReloadIntervalSeconds * 1000);
  timer?.unref();

  return {
    issuer,
    mountPath,
    get provider() {
      return current.provider;
    },
    get keys() {
      return current.keys;
    },
    accounts,
    // Each request goes to the provider current when it arrives, and stays with it to the end.
    listener: (req, res) => current.listener(req, res),
    async setupUrl() {
      if ((await accounts.count()) > 0) return undefined;
      const token = await issueSetupToken(storage.settings);
      return `${issuer}/setup?token=${encodeURIComponent(token)}`;
    },
    async issueInitialAccessToken({ ttlSeconds = 24 * 3600 } = {}) {
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 60) {
        throw invalidArgument('"ttlSeconds" must be an integer of at least 60');
      }
      const token = new current.provider.InitialAccessToken({ expiresIn: ttlSeconds });
      return token.save();
    },
    reloadKeys,
    async close() {
      clearInterval(timer);
      await reloading?.catch(() => undefined);
      await Promise.all([cimd.close(), upstream?.close()]);
    },
  };
}
