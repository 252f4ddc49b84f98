/**
 * Narrow validators shared by the metadata documents of this folder (STYLE.md 4 and 5).
 *
 * Each takes a {@link MetadataObject} (a JSON object plus the name of the document it came from) and a
 * field name, and either returns the narrowed value or throws a `ProtocolError` with code
 * `ERR_INVALID_METADATA` whose message starts with the field name (`"jwks_uri" in the authorization
 * server metadata must be …`) and whose `attribute` is that field.
 *
 * Conventions, the same for every document:
 * - An optional field that is absent **or `null`** is treated as absent (some servers serialize unset
 *   fields as `null`); a required field that is absent or `null` is reported as missing.
 * - `actual` in an error holds the JSON type of a wrong value (`'number'`, `'null'`, …), or for a
 *   string of the right type but a wrong form, the string cut to 200 characters. Messages never
 *   contain the peer's text.
 * - Arrays are returned as frozen copies.
 *
 * Internal to `@gatehouse/core`: not re-exported from the package.
 */

import { ProtocolError } from '../errors.js';
import { isLoopbackHostname } from '../url.js';

/** A JSON object received from a peer, with the name of the document it is, for messages. */
export interface MetadataObject {
  /** e.g. `protected resource metadata`, used as `"field" in the <document> …`. */
  readonly document: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The JSON type of a value, for `actual` in errors: never the value itself. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A peer string cut to 200 characters, for `actual` in errors. */
export function shorten(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}

/** The error for a bad field: `"<field>" in the <document> <problem>`. */
export function invalidField(
  object: MetadataObject,
  field: string,
  problem: string,
  expected: unknown,
  actual: unknown,
): ProtocolError {
  return new ProtocolError('ERR_INVALID_METADATA', `"${field}" in the ${object.document} ${problem}`, {
    attribute: field,
    expected,
    actual,
  });
}

/**
 * The error for a field that is well-formed but not the value the caller required, e.g. an `issuer`
 * that differs from the issuer the metadata was fetched for (code `ERR_UNEXPECTED_VALUE`).
 */
export function unexpectedValue(
  object: MetadataObject,
  field: string,
  expected: string,
  actual: string,
): ProtocolError {
  return new ProtocolError(
    'ERR_UNEXPECTED_VALUE',
    `"${field}" in the ${object.document} does not match the expected value`,
    { attribute: field, expected, actual: shorten(actual) },
  );
}

/** Narrows `value` to a JSON object (not an array, not `null`). */
export function expectObject(value: unknown, document: string): MetadataObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('ERR_INVALID_METADATA', `the ${document} must be a JSON object`, {
      expected: 'object',
      actual: jsonType(value),
    });
  }
  return { document, fields: value as Record<string, unknown> };
}

/** The raw value of a field, with `null` mapped to `undefined`. */
function raw(object: MetadataObject, field: string): unknown {
  const value = Object.hasOwn(object.fields, field) ? object.fields[field] : undefined;
  return value === null ? undefined : value;
}

/** Whether the field is present (and not `null`). */
export function isPresent(object: MetadataObject, field: string): boolean {
  return raw(object, field) !== undefined;
}

function missing(object: MetadataObject, field: string, expected: string): ProtocolError {
  return invalidField(object, field, 'is missing', expected, 'undefined');
}

/** An optional string. */
export function optionalString(object: MetadataObject, field: string): string | undefined {
  const value = raw(object, field);
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw invalidField(object, field, 'must be a string', 'string', jsonType(value));
  return value;
}

/** A required, non-empty string. */
export function requiredString(object: MetadataObject, field: string): string {
  const value = optionalString(object, field);
  if (value === undefined) throw missing(object, field, 'string');
  if (value === '') throw invalidField(object, field, 'must not be empty', 'non-empty string', '');
  return value;
}

/** An optional boolean. */
export function optionalBoolean(object: MetadataObject, field: string): boolean | undefined {
  const value = raw(object, field);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw invalidField(object, field, 'must be a boolean', 'boolean', jsonType(value));
  return value;
}

/** An optional non-negative integer, e.g. a time in seconds since the epoch (RFC 7591 §3.2.1). */
export function optionalNonNegativeInteger(object: MetadataObject, field: string): number | undefined {
  const value = raw(object, field);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    const actual = typeof value === 'number' ? String(value) : jsonType(value);
    throw invalidField(object, field, 'must be a non-negative integer', 'non-negative integer', actual);
  }
  return value;
}

/** An optional JSON object (e.g. `jwks`), returned as is. */
export function optionalObject(
  object: MetadataObject,
  field: string,
): Readonly<Record<string, unknown>> | undefined {
  const value = raw(object, field);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField(object, field, 'must be a JSON object', 'object', jsonType(value));
  }
  return value as Record<string, unknown>;
}

/** Options of the array validators. */
export interface ArrayOptions {
  /** Reject an empty array. Default `false`. */
  readonly nonEmpty?: boolean;
}

/** An optional array of strings. */
export function optionalStringArray(
  object: MetadataObject,
  field: string,
  options: ArrayOptions = {},
): readonly string[] | undefined {
  const value = raw(object, field);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw invalidField(object, field, 'must be an array of strings', 'array of strings', jsonType(value));
  }
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string') {
      throw invalidField(
        object,
        field,
        `must be an array of strings (entry ${index} is not)`,
        'string',
        jsonType(item),
      );
    }
  });
  if (options.nonEmpty && value.length === 0) {
    throw invalidField(object, field, 'must not be empty', 'non-empty array', 'empty array');
  }
  return Object.freeze([...(value as string[])]);
}

/** A required array of strings. */
export function requiredStringArray(
  object: MetadataObject,
  field: string,
  options: ArrayOptions = {},
): readonly string[] {
  const value = optionalStringArray(object, field, options);
  if (value === undefined) throw missing(object, field, 'array of strings');
  return value;
}

/**
 * What a URL field may contain.
 * - `https`: an endpoint; `https`, or `http` only for a loopback host (RFC 8414 §2 and RFC 9728 §2
 *   require https; loopback http is kept for local development). No fragment.
 * - `issuer`: as `https`, and no query either (RFC 8414 §2).
 * - `web`: a page shown to people (`logo_uri`, `tos_uri`, …): `http` or `https`.
 * - `redirect`: a redirect URI (RFC 6749 §3.1.2): absolute, no fragment, any scheme except
 *   `javascript:`, `data:`, `vbscript:` and `file:` (private-use schemes of native apps are allowed).
 */
export type UrlRule = 'https' | 'issuer' | 'web' | 'redirect';

const FORBIDDEN_REDIRECT_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:']);

/** Returns the reason `value` breaks `rule`, or `undefined` if it is fine. */
function urlProblem(value: string, rule: UrlRule): string | undefined {
  if (!URL.canParse(value)) return 'must be an absolute URL';
  const url = new URL(value);
  const hasFragment = url.href.includes('#');
  switch (rule) {
    case 'https':
    case 'issuer': {
      const secure =
        url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHostname(url.hostname));
      if (!secure) return 'must be an https URL (http is only allowed for loopback hosts)';
      if (hasFragment) return 'must not have a fragment';
      if (rule === 'issuer' && url.href.includes('?')) return 'must not have a query component';
      return undefined;
    }
    case 'web':
      return url.protocol === 'https:' || url.protocol === 'http:'
        ? undefined
        : 'must be an http or https URL';
    case 'redirect':
      if (FORBIDDEN_REDIRECT_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol} scheme`;
      return hasFragment ? 'must not have a fragment' : undefined;
  }
}

const URL_EXPECTED: Record<UrlRule, string> = {
  https: 'https URL',
  issuer: 'https URL without query or fragment',
  web: 'http or https URL',
  redirect: 'absolute URL without fragment',
};

/** An optional URL string that satisfies `rule`. */
export function optionalUrl(object: MetadataObject, field: string, rule: UrlRule): string | undefined {
  const value = raw(object, field);
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw invalidField(object, field, 'must be a string', 'string', jsonType(value));
  const problem = urlProblem(value, rule);
  if (problem !== undefined) throw invalidField(object, field, problem, URL_EXPECTED[rule], shorten(value));
  return value;
}

/** A required URL string that satisfies `rule`. */
export function requiredUrl(object: MetadataObject, field: string, rule: UrlRule): string {
  const value = optionalUrl(object, field, rule);
  if (value === undefined) throw missing(object, field, URL_EXPECTED[rule]);
  return value;
}

/** An optional array of URL strings, each satisfying `rule`. */
export function optionalUrlArray(
  object: MetadataObject,
  field: string,
  rule: UrlRule,
  options: ArrayOptions = {},
): readonly string[] | undefined {
  const values = optionalStringArray(object, field, options);
  values?.forEach((value, index) => {
    const problem = urlProblem(value, rule);
    if (problem !== undefined) {
      throw invalidField(object, field, `entry ${index} ${problem}`, URL_EXPECTED[rule], shorten(value));
    }
  });
  return values;
}

/** A required array of URL strings, each satisfying `rule`. */
export function requiredUrlArray(
  object: MetadataObject,
  field: string,
  rule: UrlRule,
  options: ArrayOptions = {},
): readonly string[] {
  const values = optionalUrlArray(object, field, rule, options);
  if (values === undefined) throw missing(object, field, `array of ${URL_EXPECTED[rule]}s`);
  return values;
}

/**
 * Builds the validated document: every field of the input (unknown extensions are kept), with each
 * checked field replaced by its narrowed value, and fields that were `null` dropped. Frozen.
 */
export function assemble<T>(object: MetadataObject, checked: Record<string, unknown>): Readonly<T> {
  const result: Record<string, unknown> = { ...object.fields };
  for (const [field, value] of Object.entries(checked)) {
    if (value === undefined) delete result[field];
    else result[field] = value;
  }
  return Object.freeze(result) as Readonly<T>;
}
