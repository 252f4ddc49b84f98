import {
  discoverAuthorizationServer,
  processRevocationResponse,
  revocationEndpoint,
  revocationRequest,
  type StoredTokens,
  type StoredTokensSummary,
} from '@gatehouse/client';
import { isLoopbackHostname, OAuthError } from '@gatehouse/core';
import type { CliCommand, CliIo } from '../io.js';
import {
  type CliTokenStore,
  LOGOUT_FLAGS,
  openStore,
  parseCommandLine,
  parseServerUrl,
  preRegisteredClient,
  STORE_FLAG_HELP,
} from './client-options.js';
import { describeExpiry } from './mcp-session.js';

export const LOGOUT_HELP = `Usage: gatehouse logout [<url>] [options]

Removes the stored tokens of an MCP server (all servers without <url>). When the authorization
server advertises a revocation endpoint (RFC 7009), the refresh and access tokens are revoked
there first, so they stop working everywhere; otherwise they stay valid until they expire. The
client registration is kept, so the next sign-in asks for consent only.

  --client-id <id>              the pre-registered client that holds the tokens (env MCP_CLIENT_ID)
  --client-secret <secret>      its secret, to authenticate the revocation (prefer env
                                MCP_CLIENT_SECRET: a command-line argument is visible to other
                                users of this machine)
${STORE_FLAG_HELP}  -h, --help                    show this help

Examples:
  gatehouse logout https://mcp.example.com/mcp
  gatehouse logout
`;

/** `gatehouse logout [<url>]`: revoke (when advertised) and remove stored tokens. */
export const logoutCommand: CliCommand = {
  name: 'logout',
  summary: 'revoke and remove stored tokens',
  run: logout,
};

/** What happened to each token at the revocation endpoint. */
interface Revocation {
  /** `undefined`: there was no refresh token. */
  readonly refresh?: 'revoked' | { failed: string };
  readonly access: 'revoked' | 'not revocable' | { failed: string };
}

function failure(error: unknown): { failed: string } {
  return { failed: (error as Error).message };
}

/**
 * Revokes the refresh token, then the access token, at the issuer's revocation endpoint (RFC 7009);
 * `'not offered'` when the issuer advertises none. A JWT access token is often not revocable
 * (`unsupported_token_type`, RFC 7009 §2.2.1): it then stays valid until it expires.
 */
async function revoke(
  store: CliTokenStore,
  tokens: StoredTokens,
  preRegistered: { clientId: string; clientSecret?: string } | undefined,
): Promise<Revocation | 'not offered'> {
  const issuerHost = URL.parse(tokens.issuer)?.hostname ?? '';
  const http = isLoopbackHostname(issuerHost) ? { policy: { allowLoopback: true } } : {};
  let metadata: Awaited<ReturnType<typeof discoverAuthorizationServer>>['metadata'];
  try {
    ({ metadata } = await discoverAuthorizationServer(tokens.issuer, http));
  } catch (error) {
    return { access: failure(error) };
  }
  if (revocationEndpoint(metadata) === undefined) return 'not offered';
  const stored = await store.getClient(tokens.issuer);
  const client =
    stored?.clientId === tokens.client_id
      ? stored
      : preRegistered?.clientId === tokens.client_id
        ? preRegistered
        : { clientId: tokens.client_id, tokenEndpointAuthMethod: 'none' };
  const send = async (token: string, tokenTypeHint: 'access_token' | 'refresh_token') =>
    processRevocationResponse(await revocationRequest(metadata, client, { token, tokenTypeHint }, http));
  let refresh: Revocation['refresh'];
  if (tokens.refresh_token !== undefined) {
    refresh = await send(tokens.refresh_token, 'refresh_token').then(() => 'revoked' as const, failure);
  }
  const access = await send(tokens.access_token, 'access_token').then(
    () => 'revoked' as const,
    (error: unknown) =>
      error instanceof OAuthError && error.error === 'unsupported_token_type'
        ? ('not revocable' as const)
        : failure(error),
  );
  return { ...(refresh === undefined ? {} : { refresh }), access };
}

async function logoutOne(
  store: CliTokenStore,
  entry: StoredTokensSummary,
  preRegistered: { clientId: string; clientSecret?: string } | undefined,
  io: CliIo,
): Promise<void> {
  const tokens = await store.get(entry.key);
  const outcome = tokens === undefined ? 'not offered' : await revoke(store, tokens, preRegistered);
  await store.delete(entry.key);
  const { resource, issuer } = entry.key;
  const expiry = describeExpiry(entry.expires_at);
  if (outcome === 'not offered') {
    io.stdout(
      `Signed out of ${resource}: tokens removed (${issuer} offers no revocation endpoint; the access token stays ${expiry}).\n`,
    );
    return;
  }
  const { refresh, access } = outcome;
  if (refresh === 'revoked' && access === 'revoked') {
    io.stdout(`Signed out of ${resource}: tokens revoked at ${issuer} and removed.\n`);
    return;
  }
  io.stdout(`Signed out of ${resource}: tokens removed.\n`);
  if (refresh === 'revoked') io.stdout(`  the refresh token was revoked at ${issuer}\n`);
  if (typeof refresh === 'object') {
    io.stderr(
      `gatehouse: warning: the refresh token could not be revoked at ${issuer} (${refresh.failed})\n`,
    );
  }
  if (access === 'not revocable') {
    io.stdout(
      `  the access token cannot be revoked at ${issuer} (a self-contained token); it stays ${expiry}\n`,
    );
  } else if (typeof access === 'object') {
    io.stderr(
      `gatehouse: warning: the access token could not be revoked at ${issuer} (${access.failed}); it stays ${expiry}\n`,
    );
  }
}

async function logout(args: readonly string[], io: CliIo): Promise<number> {
  const line = parseCommandLine('logout', args, LOGOUT_FLAGS, {
    min: 0,
    max: 1,
    usage: 'gatehouse logout [<url>]',
  });
  if (line === 'help') {
    io.stdout(LOGOUT_HELP);
    return 0;
  }
  const resource = line.positionals[0] === undefined ? undefined : parseServerUrl(line.positionals[0]);
  const preRegistered = preRegisteredClient(line.values, io);
  const store = openStore(line.values, io);
  const listing = await store.list();
  for (const problem of listing.problems) io.stderr(`gatehouse: ${problem.message}\n`);
  const entries = listing.entries.filter(
    (entry) => resource === undefined || entry.key.resource === resource,
  );
  if (entries.length === 0) {
    io.stdout(resource === undefined ? 'No sign-ins stored.\n' : `Not signed in to ${resource}.\n`);
    return listing.problems.length === 0 ? 0 : 1;
  }
  for (const entry of entries) await logoutOne(store, entry, preRegistered, io);
  return listing.problems.length === 0 ? 0 : 1;
}
