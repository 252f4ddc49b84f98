import { join } from 'node:path';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  openPostgresStorage,
  openSqliteStorage,
  PostgresOpenError,
  type Storage,
} from '@gatehouse/authorization-server';
import { isLoopbackHostname } from '@gatehouse/core';
import type { ResourceServerVerifyOptions } from '@gatehouse/resource-server';
import { CommandFailed } from '../cli/command-failed.js';
import type { ServeOptions } from '../cli/serve-options.js';
import { discoverJwksUri } from './discover-jwks-uri.js';
import { createEmbeddedTokenVerifier } from './embedded-token-verifier.js';
import type { NodeListener } from './listen.js';

/** Where tokens come from, and how the resource server checks them. */
export interface TokenAuthority {
  /** The issuer tokens must carry (`iss`), listed in the Protected Resource Metadata. */
  readonly issuer: string;
  /** Verifier options for the resource server. */
  readonly verify: ResourceServerVerifyOptions;
  /** A short description of where the signing keys are, for the banner. */
  readonly keysLocation: string;
  /** The embedded authorization server's HTTP routes; undefined for an external issuer. */
  readonly routes?: { handles(pathname: string): boolean; listener: NodeListener };
  /** A one-time URL to create the first account, when the embedded server has none. */
  setupUrl(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Trusts an external OAuth/OIDC issuer: its JWKS from `--jwks-uri` or its metadata, fetched
 * through `safeFetch` (loopback destinations only when the issuer is on loopback).
 */
export async function trustExternalIssuer(
  issuer: string,
  jwksUri: string | undefined,
  resource: string,
): Promise<TokenAuthority> {
  const policy = { allowLoopback: isLoopbackHostname(new URL(issuer).hostname) };
  const resolvedJwksUri = jwksUri ?? (await discoverJwksUri(issuer, policy));
  return {
    issuer,
    verify: { issuer, audience: resource, jwksUri: resolvedJwksUri, jwksPolicy: policy },
    keysLocation: resolvedJwksUri,
    setupUrl: async () => undefined,
    close: async () => {},
  };
}

/**
 * The authorization server's `upstream` option from `--upstream-oidc-*`. An issuer on loopback was
 * named explicitly by the operator, so outbound requests may reach loopback for it (and only then).
 */
function upstreamSignIn(oidc: NonNullable<ServeOptions['upstreamOidc']>) {
  return {
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    ...(oidc.clientSecret === undefined ? {} : { clientSecret: oidc.clientSecret }),
    ...(oidc.scopes === undefined ? {} : { scopes: [...oidc.scopes] }),
    ...(oidc.name === undefined ? {} : { name: oidc.name }),
    allowLocalPassword: oidc.allowLocalPassword,
    dangerouslyAllowLoopback: isLoopbackHostname(new URL(oidc.issuer).hostname),
  };
}

/** The demo resource's scopes and what the consent page says about each. */
export const DEMO_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'mcp:read': 'Use the demo tools (whoami, echo, add)',
  'mcp:write': 'Store notes with the add_note tool',
};

/**
 * Opens the embedded authorization server's storage: PostgreSQL with `--database` (pending
 * migrations applied under the migration lock, so instances may start together), else
 * `<data-dir>/gatehouse.db`. Resolves it with a description of where it is (no password).
 */
async function openEmbeddedStorage(
  options: Pick<ServeOptions, 'dataDir' | 'database'>,
): Promise<{ storage: Storage; location: string }> {
  if (options.database === undefined) {
    const storage = openSqliteStorage({ path: join(options.dataDir, 'gatehouse.db') });
    return { storage, location: `${storage.path} (embedded)` };
  }
  try {
    const storage = await openPostgresStorage({ connectionString: options.database });
    return { storage, location: `${storage.database} (PostgreSQL, shared)` };
  } catch (error) {
    if (!(error instanceof PostgresOpenError)) throw error;
    throw new CommandFailed(error.message, {
      hint: 'Check the URL, that the database exists (createdb) and that this host may connect to it.',
    });
  }
}

/**
 * Starts the embedded authorization server at `<public-url>/oauth`, persisted in
 * `<data-dir>/gatehouse.db` (SQLite) or in the `--database` PostgreSQL database. The resource
 * server verifies its tokens against its public signing keys in process, with no HTTP round trip,
 * and follows key rotations (see embedded-token-verifier.ts).
 */
export async function startEmbeddedAuthority(
  options: Pick<
    ServeOptions,
    | 'dataDir'
    | 'registration'
    | 'scopes'
    | 'upstreamOidc'
    | 'database'
    | 'keyReloadIntervalSeconds'
    | 'trustProxy'
  >,
  publicUrl: string,
  resource: string,
  describe: { scopes: Readonly<Record<string, string>>; name: string } = {
    scopes: DEMO_SCOPE_DESCRIPTIONS,
    name: 'Gatehouse demo MCP server',
  },
): Promise<TokenAuthority> {
  const { storage, location } = await openEmbeddedStorage(options);
  let server: AuthorizationServer;
  try {
    const scopes: Record<string, string> = { ...describe.scopes };
    for (const scope of options.scopes) scopes[scope] ??= `Use the "${scope}" permission of this MCP server`;
    server = await createAuthorizationServer({
      issuer: `${publicUrl}/oauth`,
      storage,
      resources: [{ resource, scopes, name: describe.name }],
      ...(options.registration === undefined ? {} : { registration: options.registration }),
      ...(options.upstreamOidc === undefined ? {} : { upstream: upstreamSignIn(options.upstreamOidc) }),
      ...(options.keyReloadIntervalSeconds === undefined
        ? {}
        : { keyReloadIntervalSeconds: options.keyReloadIntervalSeconds }),
      ...(options.trustProxy === true ? { trustProxy: true } : {}),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  const prefixes = [
    `${server.mountPath}/`,
    `/.well-known/oauth-authorization-server${server.mountPath}`,
    `/.well-known/openid-configuration${server.mountPath}`,
  ];
  return {
    issuer: server.issuer,
    verify: createEmbeddedTokenVerifier(server, { issuer: server.issuer, audience: resource }),
    keysLocation: location,
    routes: {
      handles: (pathname) =>
        pathname === server.mountPath || prefixes.some((prefix) => pathname.startsWith(prefix)),
      listener: server.listener,
    },
    setupUrl: () => server.setupUrl(),
    close: async () => {
      await server.close();
      await storage.close();
    },
  };
}
