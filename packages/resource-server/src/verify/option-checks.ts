import { canonicalResourceUri, invalidArgument } from '@gatehouse/core';

/**
 * Construction-time validators shared by the verifiers (STYLE.md: "invalid configuration throws at
 * construction with a hint"). Each throws a `TypeError` with a stable `code`.
 */

/** Refuses option names the verifier does not know, so a typo (`audiences`) is not silently ignored. */
export function rejectUnknownOptions(options: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw invalidArgument(`unknown option "${key}" for ${what}`, 'ERR_INVALID_ARG_VALUE');
    }
  }
}

/** A required non-empty string option. */
export function requireString(value: unknown, name: string, hint: string): string {
  if (value === undefined || value === null || value === '') {
    throw invalidArgument(`"${name}" is required: ${hint}`, 'ERR_MISSING_OPTION');
  }
  if (typeof value !== 'string') throw invalidArgument(`"${name}" must be a string`, 'ERR_INVALID_ARG_TYPE');
  return value;
}

/** The `issuer` option: required, compared exactly with `iss`, so it is kept verbatim. */
export function requireIssuer(value: unknown): string {
  return requireString(
    value,
    'issuer',
    'tokens must come from a known authorization server; use its metadata\'s "issuer" value',
  );
}

/**
 * The `audience` option: required, and normalised with `canonicalResourceUri` (lower-case scheme
 * and host, no default port, no trailing slash; https unless loopback; no fragment, query or
 * userinfo), because clients send that form as `resource`.
 */
export function requireAudience(value: unknown): string {
  const audience = requireString(
    value,
    'audience',
    "tokens must be checked against this resource; use the MCP endpoint's canonical URI, e.g. https://mcp.example.com/mcp",
  );
  try {
    return canonicalResourceUri(audience);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : 'invalid URI';
    const error = invalidArgument(`"audience" is not a canonical resource URI: ${reason}`);
    (error as Error).cause = cause;
    throw error;
  }
}

/** An optional number of seconds in `[min, max]`, or `fallback` when absent. */
export function optionalSeconds(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidArgument(`"${name}" must be a number of seconds between ${min} and ${max}`);
  }
  return value;
}

/** An optional boolean, or `fallback` when absent. */
export function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw invalidArgument(`"${name}" must be a boolean`, 'ERR_INVALID_ARG_TYPE');
  return value;
}

/**
 * An http(s) endpoint URL chosen by the operator (`jwksUri`, `introspectionEndpoint`): parsed,
 * without credentials or fragment. Whether the host may be reached (https, loopback, private
 * addresses) is decided by the safe-fetch policy at request time.
 */
export function requireEndpointUrl(value: unknown, name: string): URL {
  if (value === undefined || value === null || value === '') {
    throw invalidArgument(`"${name}" is required`, 'ERR_MISSING_OPTION');
  }
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw invalidArgument(`"${name}" must be a string or a URL`, 'ERR_INVALID_ARG_TYPE');
  }
  const url = URL.parse(String(value));
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalidArgument(`"${name}" must be an absolute http(s) URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalidArgument(`"${name}" must not contain credentials`);
  }
  if (url.hash !== '') throw invalidArgument(`"${name}" must not contain a fragment`);
  return url;
}
