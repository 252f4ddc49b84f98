/**
 * The `safeFetch` policy: its options, their defaults (in one place) and their validation.
 */
import { invalidArgument } from '../errors.js';

/**
 * What `safeFetch` may connect to and how much it may read. Every option is optional; the
 * defaults are {@link DEFAULT_SAFE_FETCH_POLICY}.
 */
export interface SafeFetchPolicy {
  /**
   * Allow loopback destinations (127.0.0.0/8, ::1, `localhost` and `*.localhost`), over plain
   * `http:` too. For development servers and tests. Default `false`.
   */
  allowLoopback?: boolean;
  /**
   * DANGEROUS: allow private-network destinations: RFC 1918 (10/8, 172.16/12, 192.168/16),
   * carrier-grade NAT 100.64.0.0/10 and unique-local fc00::/7. Turning this on lets a peer make
   * this process send requests into your internal network. Link-local addresses and cloud
   * metadata endpoints stay refused, and `https:` is still required. Default `false`.
   */
  dangerouslyAllowPrivateNetworks?: boolean;
  /**
   * Time limit in milliseconds for the whole exchange: name resolution, connection, headers and
   * body. A positive integer. Default `5000`.
   */
  timeoutMs?: number;
  /**
   * Largest response body accepted, in bytes, after content decoding; a larger `Content-Length` is
   * refused before the body is read. A positive integer. Default `1_048_576` (1 MiB).
   */
  maxResponseBytes?: number;
}

/** The defaults of every {@link SafeFetchPolicy} option. */
export const DEFAULT_SAFE_FETCH_POLICY: Readonly<Required<SafeFetchPolicy>> = Object.freeze({
  allowLoopback: false,
  dangerouslyAllowPrivateNetworks: false,
  timeoutMs: 5000,
  maxResponseBytes: 1_048_576,
});

/** Longest delay a Node.js timer supports. */
const MAX_TIMEOUT_MS = 2_147_483_647;

const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(DEFAULT_SAFE_FETCH_POLICY));

function booleanOption(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw invalidArgument(`safeFetch policy "${name}" must be a boolean`, 'ERR_INVALID_ARG_TYPE');
  }
  return value;
}

function integerOption(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw invalidArgument(`safeFetch policy "${name}" must be a number`, 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw invalidArgument(`safeFetch policy "${name}" must be an integer from 1 to ${max}`);
  }
  return value;
}

/**
 * Validates a policy and fills in the defaults. Throws a `TypeError` with code
 * `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` for a wrong type, a number out of range or an
 * unknown option (a misspelt option is an error, not silently ignored).
 */
export function resolveSafeFetchPolicy(policy: unknown): Readonly<Required<SafeFetchPolicy>> {
  if (policy === undefined) return DEFAULT_SAFE_FETCH_POLICY;
  if (typeof policy !== 'object' || policy === null) {
    throw invalidArgument('safeFetch "policy" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  for (const key of Object.keys(policy)) {
    if (!OPTION_NAMES.has(key)) {
      throw invalidArgument(
        `unknown safeFetch policy option ${JSON.stringify(key)}; known options: ${[...OPTION_NAMES].join(', ')}`,
      );
    }
  }
  const p = policy as Record<string, unknown>;
  const d = DEFAULT_SAFE_FETCH_POLICY;
  return Object.freeze({
    allowLoopback: booleanOption(p.allowLoopback, 'allowLoopback', d.allowLoopback),
    dangerouslyAllowPrivateNetworks: booleanOption(
      p.dangerouslyAllowPrivateNetworks,
      'dangerouslyAllowPrivateNetworks',
      d.dangerouslyAllowPrivateNetworks,
    ),
    timeoutMs: integerOption(p.timeoutMs, 'timeoutMs', d.timeoutMs, MAX_TIMEOUT_MS),
    maxResponseBytes: integerOption(
      p.maxResponseBytes,
      'maxResponseBytes',
      d.maxResponseBytes,
      Number.MAX_SAFE_INTEGER,
    ),
  });
}
