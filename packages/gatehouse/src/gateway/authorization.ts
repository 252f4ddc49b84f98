import { join } from 'node:path';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  openSqliteStorage,
  toPublicJwks,
} from '@gatehouse/authorization-server';
import { isLoopbackHostname } from '@gatehouse/core';
import type { ResourceServerVerifyOptions } from '@gatehouse/resource-server';
import type { ServeOptions } from '../cli/serve-options.js';
import { discoverJwksUri } from './discover-jwks-uri.js';
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

/** The demo resource's scopes and what the consent page says about each. */
export const DEMO_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'mcp:read': 'Use the demo tools (whoami, echo, add)',
  'mcp:write': 'Store notes with the add_note tool',
};

/**
 * Starts the embedded authorization server at `<public-url>/oauth`, persisted in
 * `<data-dir>/gatehouse.db` (SQLite). The resource server verifies its tokens against its public
 * signing keys in process, with no HTTP round trip.
 */
export async function startEmbeddedAuthority(
  options: Pick<ServeOptions, 'dataDir' | 'registration' | 'scopes'>,
  publicUrl: string,
  resource: string,
): Promise<TokenAuthority> {
  const storage = openSqliteStorage({ path: join(options.dataDir, 'gatehouse.db') });
  let server: AuthorizationServer;
  try {
    const scopes: Record<string, string> = { ...DEMO_SCOPE_DESCRIPTIONS };
    for (const scope of options.scopes) scopes[scope] ??= `Use the "${scope}" permission of this MCP server`;
    server = await createAuthorizationServer({
      issuer: `${publicUrl}/oauth`,
      storage,
      resources: [{ resource, scopes, name: 'Gatehouse demo MCP server' }],
      ...(options.registration === undefined ? {} : { registration: options.registration }),
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
    verify: { issuer: server.issuer, audience: resource, jwks: toPublicJwks(server.keys) },
    keysLocation: `${storage.path} (embedded)`,
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
