/**
 * A child process for the cross-process tests of the file store: replaces the entry of
 * {@link WRITTEN_KEY} once per access token given, in order, then exits (run with `runSourceChild`,
 * test/support/source-child.ts: the TypeScript sources, no build).
 *
 * argv: <store directory> <access token>… ; `-` deletes the entry instead.
 */
import { createFileStore } from './file-store.js';
import type { StoredTokens } from './types.js';

export const WRITTEN_KEY = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'written',
} as const;

/** The tokens the child stores for `accessToken`. */
export function writtenTokens(accessToken: string): StoredTokens {
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_at: 2_000_000_000,
    refresh_token: `refresh-of-${accessToken}`,
    resource: WRITTEN_KEY.resource,
    issuer: WRITTEN_KEY.issuer,
    client_id: WRITTEN_KEY.clientId,
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [directory, ...accessTokens] = process.argv.slice(2);
  if (directory === undefined || accessTokens.length === 0) {
    throw new Error('usage: <store directory> <access token>...');
  }
  const store = createFileStore({ directory });
  for (const accessToken of accessTokens) {
    if (accessToken === '-') await store.delete(WRITTEN_KEY);
    else await store.set(WRITTEN_KEY, writtenTokens(accessToken));
  }
}
