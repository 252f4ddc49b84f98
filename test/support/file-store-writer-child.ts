/**
 * Child process of the file store atomicity test: replaces one entry of a file store over and over
 * with large values until it is killed. Run like `client-refresh-child.ts` (sources, no build).
 *
 * argv: <store directory> <first version>. Version `n` stores an access token `v<n>.` followed by
 * {@link PADDING} `x`s, so a reader can tell a whole value from a torn one. After each write it
 * prints `<n>\n` on stdout.
 */
import { createFileStore } from '@gatehouse/client';

/** Large enough that a write takes a while, so a kill often lands in the middle of one. */
export const PADDING = 2_000_000;
export const WRITER_KEY = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'writer',
} as const;

/** The tokens of version `n`. */
export function versionTokens(n: number) {
  return {
    access_token: `v${n}.${'x'.repeat(PADDING)}`,
    token_type: 'Bearer',
    refresh_token: `r${n}`,
    resource: WRITER_KEY.resource,
    issuer: WRITER_KEY.issuer,
    client_id: WRITER_KEY.clientId,
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [directory, first] = process.argv.slice(2);
  if (directory === undefined || first === undefined) throw new Error('usage: <directory> <first version>');
  const store = createFileStore({ directory });
  for (let n = Number(first); ; n += 1) {
    await store.set(WRITER_KEY, versionTokens(n));
    process.stdout.write(`${n}\n`);
  }
}
