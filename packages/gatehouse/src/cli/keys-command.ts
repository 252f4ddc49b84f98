/** `gatehouse keys list|rotate`: the embedded authorization server's signing and cookie keys. */
import {
  type KeyRecord,
  type KeyUse,
  rotateCookieKey,
  rotateSigningKey,
  type Storage,
} from '@gatehouse/authorization-server';
import { defineAdminCommand } from './admin-command.js';
import { ADMIN_STORAGE_HELP, withAdminStorage } from './admin-storage.js';
import { formatTable, formatTime } from './text-table.js';
import { UsageError } from './usage-error.js';

/**
 * How long a retired key stays usable by default, per use: signing keys one day (the longest
 * access-token and ID-token lifetime the server accepts), cookie keys 14 days (the default
 * sign-in session lifetime).
 */
export const DEFAULT_RETAIN_SECONDS: Readonly<Record<KeyUse, number>> = Object.freeze({
  signing: 24 * 3600,
  cookie: 14 * 24 * 3600,
});

/** The help text of `gatehouse keys`. */
export const KEYS_HELP = `Usage: gatehouse keys <subcommand> [options]

The embedded authorization server signs tokens with an ES256 key (published in its JWKS) and
signs its cookies with a secret key. Both are created on the first start and kept in the database.

Subcommands:
  list                     store id, use, JWK kid, created, state, expiry (never key material)
  rotate                   make new keys active; the previous ones are retired and stay valid
                           (tokens they signed keep verifying) until the retention ends

Options:
  --use <signing|cookie|all>
                           rotate: which keys (default all)
  --retain-seconds <n>     rotate: how long retired keys stay valid (default 86400 for signing
                           keys, the longest token lifetime; 1209600 = 14 days for cookie keys,
                           the sign-in session lifetime)
${ADMIN_STORAGE_HELP}
  -h, --help               show this help

A running \`gatehouse serve\` reads the keys again every 30 seconds (--key-reload-interval), and
at once when a token signed with a key it does not know arrives: every instance on this data
directory or database switches to the new keys without a restart. Keep --retain-seconds longer
than that interval.

Examples:
  gatehouse keys list
  gatehouse keys rotate
  gatehouse keys rotate --use signing --retain-seconds 3600
  GATEHOUSE_DATABASE_URL=postgres://gatehouse@db.internal/gatehouse gatehouse keys rotate
`;

/** The public key id of a signing key (its RFC 7638 thumbprint, as in tokens and the JWKS); never the material. */
function jwkKid(record: KeyRecord): string {
  if (record.use !== 'signing') return '-';
  try {
    const kid = (JSON.parse(record.material) as { kid?: unknown }).kid;
    return typeof kid === 'string' ? kid : '-';
  } catch {
    return '(unreadable)';
  }
}

function keyState(record: KeyRecord): string {
  return record.retiredAt === null ? 'active' : `retired ${formatTime(record.retiredAt)}`;
}

/** The generation in a store kid (`signing-3` → 3), for ordering keys created in the same second. */
function generation(record: KeyRecord): number {
  return Number(/-(\d+)$/.exec(record.kid)?.[1] ?? 0);
}

/** Signing keys, then cookie keys; each: the active one first, then newest first. */
async function allKeys(storage: Storage): Promise<KeyRecord[]> {
  const ordered = (keys: KeyRecord[]): KeyRecord[] =>
    keys.sort(
      (a, b) =>
        Number(a.retiredAt !== null) - Number(b.retiredAt !== null) ||
        b.createdAt - a.createdAt ||
        generation(b) - generation(a),
    );
  return [...ordered(await storage.keys.list('signing')), ...ordered(await storage.keys.list('cookie'))];
}

function keyTable(keys: readonly KeyRecord[]): string {
  return formatTable(
    ['ID', 'USE', 'JWK KID', 'CREATED', 'STATE', 'EXPIRES'],
    keys.map((key) => [
      key.kid,
      key.use,
      jwkKid(key),
      formatTime(key.createdAt),
      keyState(key),
      key.expiresAt === null ? '-' : formatTime(key.expiresAt),
    ]),
  );
}

function parseUses(value: unknown): KeyUse[] {
  if (value === undefined || value === 'all') return ['signing', 'cookie'];
  if (value === 'signing' || value === 'cookie') return [value];
  throw new UsageError(`invalid --use "${String(value)}"`, 'Use one of: signing, cookie, all.');
}

function parseRetain(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d{1,9}$/.test(text)) {
    throw new UsageError(`invalid --retain-seconds "${text}"`, 'Give a whole number of seconds, e.g. 86400.');
  }
  return Number(text);
}

/** `gatehouse keys`. */
export const keysCommand = defineAdminCommand({
  name: 'keys',
  summary: 'list or rotate the signing and cookie keys',
  help: KEYS_HELP,
  subcommands: {
    list: {
      async run({ storage, io }) {
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          const keys = await allKeys(store);
          io.stdout(
            keys.length === 0
              ? 'No keys yet: `gatehouse serve` creates them on its first start.\n'
              : keyTable(keys),
          );
          return 0;
        });
      },
    },
    rotate: {
      flags: { use: { type: 'string' }, 'retain-seconds': { type: 'string' } },
      async run({ flags, storage, io }) {
        const uses = parseUses(flags.use);
        const retain = parseRetain(flags['retain-seconds']);
        return withAdminStorage(storage, { create: false }, async ({ storage: store }) => {
          for (const use of uses) {
            const options = { retainSeconds: retain ?? DEFAULT_RETAIN_SECONDS[use] };
            if (use === 'signing') await rotateSigningKey(store.keys, options);
            else await rotateCookieKey(store.keys, options);
          }
          const keys = await allKeys(store);
          const rotatedAt = Math.floor(Date.now() / 1000);
          const firstExpiry =
            rotatedAt + Math.min(...uses.map((use) => retain ?? DEFAULT_RETAIN_SECONDS[use]));
          io.stdout(
            [
              `Rotated the ${uses.join(' and ')} key${uses.length > 1 ? 's' : ''}:`,
              '',
              keyTable(keys).trimEnd(),
              '',
              'Running `gatehouse serve` processes switch to the new keys within their',
              '--key-reload-interval (default 30 seconds); no restart is needed. A new cookie key',
              'signs cookies from one interval later, once every process knows it.',
              `What the retired keys signed stays valid until ${formatTime(firstExpiry)}.`,
              '',
            ].join('\n'),
          );
          return 0;
        });
      },
    },
  },
});
