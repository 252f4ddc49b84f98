/**
 * A short MCP session for a client command: an SDK v2 client connected through `authFetch` (the
 * file store's token, renewed or obtained on demand), closed whatever happens.
 */
import type { AuthFetchOptions, StoredTokens, StoredTokensSummary, TokenStore } from '@gatehouse/client';
import { connect } from '@gatehouse/client/connect';
import type { Client } from '@modelcontextprotocol/client';
import { CommandFailed } from '../command-failed.js';

/** The first system error code (`ECONNREFUSED`, …) in a `cause` chain, or `undefined`. */
export function systemErrorCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]{2,39}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What went wrong sending to the MCP server, for a message: a network failure names its code. */
export function describeSendError(error: unknown, serverUrl: string): string {
  const message = (error as Error)?.message ?? String(error);
  if (message === 'fetch failed' || /fetch failed$/.test(message)) {
    const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
    const reason =
      systemErrorCode(error) ?? (typeof cause === 'string' ? cause.slice(0, 100) : 'network error');
    return `could not reach the MCP server at ${serverUrl} (${reason})`;
  }
  return message;
}

/**
 * The error to report for a failed MCP exchange: a network failure or a taken callback port becomes
 * a {@link CommandFailed} with a hint (the CLI's generic "cannot listen … --port" hint is for
 * `serve`); anything else is returned as it is (typed errors carry their own message).
 */
export function explainClientError(error: unknown, serverUrl: string): unknown {
  if ((error as { code?: unknown })?.code === 'EADDRINUSE') {
    return new CommandFailed((error as Error).message, {
      hint: 'Free that port, or pass another --callback-port (one the client is registered with).',
    });
  }
  const described = describeSendError(error, serverUrl);
  if (described === (error as Error)?.message) return error;
  return new CommandFailed(described, { hint: 'Check the URL, and that the server is running.' });
}

/** Runs `fn` with a client connected to `serverUrl`, then closes it. */
export async function withMcpClient<T>(
  serverUrl: string,
  options: Omit<AuthFetchOptions, 'serverUrl'>,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  let client: Client;
  try {
    client = await connect(serverUrl, {
      ...options,
      clientInfo: { name: 'gatehouse-cli', version: '0.1.0' },
    });
  } catch (error) {
    throw explainClientError(error, serverUrl);
  }
  try {
    return await fn(client);
  } catch (error) {
    throw explainClientError(error, serverUrl);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * The stored entry for `resource`: the one of `clientId` when given, else the first. `authFetch`
 * picks its entry the same way.
 */
export async function storedEntryFor(
  store: TokenStore,
  resource: string,
  clientId: string | undefined,
): Promise<{ summary: StoredTokensSummary; tokens: StoredTokens } | undefined> {
  const { entries } = await store.list();
  const summary =
    entries.find((entry) => entry.key.resource === resource && entry.key.clientId === clientId) ??
    entries.find((entry) => entry.key.resource === resource);
  if (summary === undefined) return undefined;
  const tokens = await store.get(summary.key);
  return tokens === undefined ? undefined : { summary, tokens };
}

/** "in 59 min", "3 h ago", for expiry times. */
export function relativeTime(epochSeconds: number, now = Date.now() / 1000): string {
  const delta = Math.round(epochSeconds - now);
  const size = Math.abs(delta);
  const text =
    size < 120
      ? `${size} s`
      : size < 7_200
        ? `${Math.round(size / 60)} min`
        : size < 172_800
          ? `${Math.round(size / 3_600)} h`
          : `${Math.round(size / 86_400)} days`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** One line about when an access token expires, never its value. */
export function describeExpiry(expiresAt: number | undefined, now = Date.now() / 1000): string {
  if (expiresAt === undefined) return 'no expiry given by the server';
  const when = new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return expiresAt > now
    ? `valid until ${when} (${relativeTime(expiresAt, now)})`
    : `expired ${when} (${relativeTime(expiresAt, now)})`;
}
