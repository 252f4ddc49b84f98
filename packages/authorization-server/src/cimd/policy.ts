/**
 * The trust policy for Client ID Metadata Documents (CIMD draft
 * draft-ietf-oauth-client-id-metadata-document-00 §6; MCP 2025-11-25 § Client ID Metadata Document
 * Security > Trust Policies): which `client_id` URLs the authorization server is willing to fetch,
 * and the limits of that fetch. The options, their defaults (in {@link CIMD_DEFAULTS}) and their
 * validation at construction live here.
 */
import { invalidArgument, isClientIdMetadataDocumentUrl } from '@gatehouse/core';

/** Options of Client ID Metadata Document support (the `cimd` option of `createAuthorizationServer`). */
export interface CimdOptions {
  /**
   * Accept https URLs as `client_id` and fetch their metadata documents; advertise
   * `client_id_metadata_document_supported: true` in the metadata. Default `true`.
   */
  enabled?: boolean;
  /**
   * Hosts whose documents are fetched: `'any'`, or a list of host names (exact, case-insensitive,
   * no port, no wildcard), e.g. `['app.example.com']`. A `client_id` on another host is refused with
   * `invalid_client` before anything is fetched. Default `'any'`.
   */
  trustedHosts?: readonly string[] | 'any';
  /**
   * DANGEROUS, for tests only: accept `http://` document URLs on a loopback host (`127.0.0.1`,
   * `[::1]`, `localhost`) and fetch them. Any program on the machine can then serve client
   * identities. Default `false`.
   */
  dangerouslyAllowLoopback?: boolean;
  /** Time limit of one document fetch, in milliseconds (connection, headers and body). Default 5000, 1…30000. */
  fetchTimeoutMs?: number;
  /** Largest document accepted, in bytes (CIMD draft §6.5 suggests 5 KB). Default 5120, 512…1,048,576. */
  maxDocumentBytes?: number;
}

/** Every default of {@link CimdOptions}, plus the fixed cache bounds, in one place. */
export const CIMD_DEFAULTS = Object.freeze({
  enabled: true,
  trustedHosts: 'any' as const,
  dangerouslyAllowLoopback: false,
  fetchTimeoutMs: 5000,
  maxDocumentBytes: 5120,
  /**
   * Cache floor, seconds: a document is kept at least this long unless it is sent with
   * `Cache-Control: no-store` or `no-cache` (then it is fetched again on every use).
   */
  cacheMinSeconds: 60,
  /** Cache ceiling, seconds: a document is fetched again after at most this long, whatever its headers say. */
  cacheMaxSeconds: 24 * 3600,
  /** Seconds a failed fetch or an invalid document is remembered, so one bad client cannot make us fetch in a loop. */
  failureCacheSeconds: 10,
  /** Documents kept in the cache at most; the oldest is dropped first. */
  cacheEntries: 1000,
});

/** The options after validation, with every default applied. */
export interface ResolvedCimdOptions {
  readonly enabled: boolean;
  /** Lower-case host names, or `'any'`. */
  readonly trustedHosts: ReadonlySet<string> | 'any';
  readonly dangerouslyAllowLoopback: boolean;
  readonly fetchTimeoutMs: number;
  readonly maxDocumentBytes: number;
}

const KNOWN_OPTIONS = new Set([
  'enabled',
  'trustedHosts',
  'dangerouslyAllowLoopback',
  'fetchTimeoutMs',
  'maxDocumentBytes',
]);

/** A host name as written in `trustedHosts`: letters, digits, dots and hyphens (IPv6 literals in brackets). */
const HOST_NAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

function booleanOption(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw invalidArgument(`"cimd.${name}" must be a boolean`, 'ERR_INVALID_ARG_TYPE');
  return value;
}

function integerOption(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(`"cimd.${name}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

function resolveTrustedHosts(value: unknown): ReadonlySet<string> | 'any' {
  if (value === undefined || value === 'any') return 'any';
  if (!Array.isArray(value)) {
    throw invalidArgument(
      '"cimd.trustedHosts" must be "any" or an array of host names, e.g. ["app.example.com"]',
    );
  }
  const hosts = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const host = typeof entry === 'string' ? entry.toLowerCase() : '';
    if (!HOST_NAME.test(host)) {
      throw invalidArgument(
        `"cimd.trustedHosts[${index}]" must be a host name without scheme, port or path, e.g. "app.example.com"`,
      );
    }
    hosts.add(host);
  });
  return hosts;
}

/**
 * Validates the `cimd` option and applies the defaults. Throws a `TypeError`
 * (`ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE`) naming the option, with a hint.
 */
export function resolveCimdOptions(value: unknown): ResolvedCimdOptions {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalidArgument('"cimd" must be an object, e.g. { trustedHosts: ["app.example.com"] }');
  }
  const options = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw invalidArgument(`"cimd.${key}" is not a known option; known: ${[...KNOWN_OPTIONS].join(', ')}`);
    }
  }
  const d = CIMD_DEFAULTS;
  return Object.freeze({
    enabled: booleanOption(options.enabled, 'enabled', d.enabled),
    trustedHosts: resolveTrustedHosts(options.trustedHosts),
    dangerouslyAllowLoopback: booleanOption(
      options.dangerouslyAllowLoopback,
      'dangerouslyAllowLoopback',
      d.dangerouslyAllowLoopback,
    ),
    fetchTimeoutMs: integerOption(options.fetchTimeoutMs, 'fetchTimeoutMs', 1, 30_000, d.fetchTimeoutMs),
    maxDocumentBytes: integerOption(
      options.maxDocumentBytes,
      'maxDocumentBytes',
      512,
      1_048_576,
      d.maxDocumentBytes,
    ),
  });
}

/**
 * Whether `clientId` is handled as a Client ID Metadata Document URL (CIMD draft §3): CIMD enabled
 * and `clientId` an https URL with a path (or, with `dangerouslyAllowLoopback`, an http URL on a
 * loopback host). Other client IDs are looked up in storage as usual.
 *
 * It does NOT apply `trustedHosts` (see {@link isHostTrusted}) or check the host's addresses (the
 * fetch does).
 */
export function isCimdClientId(clientId: string, options: ResolvedCimdOptions): boolean {
  return (
    options.enabled &&
    isClientIdMetadataDocumentUrl(clientId, {
      dangerouslyAllowLoopbackHttp: options.dangerouslyAllowLoopback,
    })
  );
}

/**
 * The trust policy decision (CIMD draft §6.4, MCP § Trust Policies: an allow-list of hosts, or
 * any): whether the document at `clientIdUrl` may be fetched. It does NOT check the format of the
 * URL ({@link isCimdClientId}) or the address the host resolves to (safe-fetch does).
 */
export function isHostTrusted(clientIdUrl: string, options: ResolvedCimdOptions): boolean {
  if (options.trustedHosts === 'any') return true;
  const url = URL.parse(clientIdUrl);
  return url !== null && options.trustedHosts.has(url.hostname.toLowerCase());
}
