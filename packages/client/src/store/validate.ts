/**
 * Small validators shared by the stores: a key or tokens given by the caller (misuse → `TypeError`),
 * and data read back from storage (`unknown` → the typed value, or the name of the bad field).
 * Messages name fields, never values (they may be tokens).
 */
import { invalidArgument } from '@gatehouse/core';
import { isDpopPrivateJwk } from '../dpop/dpop-key.js';
import type { ClientRegistration, RegistrationMethod } from '../registration/types.js';
import type { LockOptions, StoredTokens, StoreKey } from './types.js';

/** Default of {@link LockOptions.timeoutMs}. */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Checks a caller's {@link StoreKey} and returns a copy. */
export function checkStoreKey(key: unknown): StoreKey {
  if (!isRecord(key)) throw invalidArgument('"key" must be an object { issuer, resource, clientId }');
  for (const name of ['issuer', 'resource', 'clientId'] as const) {
    if (!isText(key[name])) throw invalidArgument(`"key.${name}" must be a non-empty string`);
  }
  return Object.freeze({
    issuer: key.issuer as string,
    resource: key.resource as string,
    clientId: key.clientId as string,
  });
}

/** Checks an issuer argument of the client-registration methods. */
export function checkIssuer(issuer: unknown): string {
  if (!isText(issuer)) throw invalidArgument('"issuer" must be a non-empty string');
  return issuer;
}

/** A stable string for a key: the three parts JSON-encoded, so no two keys share one. */
export function keyId(key: StoreKey): string {
  return JSON.stringify([key.issuer, key.resource, key.clientId]);
}

/** Whether two keys are the same. */
export function sameKey(a: StoreKey, b: StoreKey): boolean {
  return a.issuer === b.issuer && a.resource === b.resource && a.clientId === b.clientId;
}

/** The lock timeout of `options`, checked. */
export function lockTimeoutOf(options: LockOptions | undefined): number {
  if (options === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  if (!isRecord(options)) throw invalidArgument('"options" of withLock must be an object');
  const value = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidArgument('"timeoutMs" must be a finite number ≥ 0');
  }
  return value;
}

/**
 * Reads tokens from storage or from a caller: the copy with only the known fields, frozen, or the
 * name of the first bad field.
 */
export function readStoredTokens(value: unknown): StoredTokens | { readonly badField: string } {
  if (!isRecord(value)) return { badField: 'tokens' };
  for (const name of ['access_token', 'token_type', 'resource', 'issuer', 'client_id'] as const) {
    if (!isText(value[name])) return { badField: name };
  }
  const { expires_at, expires_in, refresh_token, scope, dpop_jwk } = value;
  if (expires_at !== undefined && (typeof expires_at !== 'number' || !Number.isFinite(expires_at))) {
    return { badField: 'expires_at' };
  }
  if (
    expires_in !== undefined &&
    (typeof expires_in !== 'number' || !Number.isFinite(expires_in) || expires_in < 0)
  ) {
    return { badField: 'expires_in' };
  }
  if (refresh_token !== undefined && !isText(refresh_token)) return { badField: 'refresh_token' };
  if (scope !== undefined && typeof scope !== 'string') return { badField: 'scope' };
  if (dpop_jwk !== undefined && !isDpopPrivateJwk(dpop_jwk)) return { badField: 'dpop_jwk' };
  return Object.freeze({
    access_token: value.access_token as string,
    token_type: value.token_type as string,
    ...(expires_at === undefined ? {} : { expires_at }),
    ...(expires_in === undefined ? {} : { expires_in }),
    ...(refresh_token === undefined ? {} : { refresh_token }),
    ...(scope === undefined ? {} : { scope }),
    resource: value.resource as string,
    issuer: value.issuer as string,
    client_id: value.client_id as string,
    ...(dpop_jwk === undefined
      ? {}
      : {
          dpop_jwk: Object.freeze({ kty: 'EC', crv: 'P-256', x: dpop_jwk.x, y: dpop_jwk.y, d: dpop_jwk.d }),
        }),
  });
}

/** Checks the tokens a caller stores under `key` (misuse → `TypeError`) and returns a frozen copy. */
export function checkStoredTokens(key: StoreKey, tokens: unknown): StoredTokens {
  const read = readStoredTokens(tokens);
  if ('badField' in read) throw invalidArgument(`"tokens.${read.badField}" is missing or of the wrong type`);
  if (read.issuer !== key.issuer || read.resource !== key.resource || read.client_id !== key.clientId) {
    throw invalidArgument('"tokens" must have the "issuer", "resource" and "client_id" of the key');
  }
  return read;
}

const METHODS: ReadonlySet<string> = new Set(['pre-registered', 'client-id-metadata-document', 'dynamic']);

/** Reads a client registration from storage or from a caller: a frozen copy, or the bad field. */
export function readClientRegistration(value: unknown): ClientRegistration | { readonly badField: string } {
  if (!isRecord(value)) return { badField: 'registration' };
  if (!isText(value.issuer)) return { badField: 'issuer' };
  if (typeof value.method !== 'string' || !METHODS.has(value.method)) return { badField: 'method' };
  if (!isText(value.clientId)) return { badField: 'clientId' };
  const uris = value.redirectUris;
  if (!Array.isArray(uris) || !uris.every(isText)) return { badField: 'redirectUris' };
  const optional: Record<string, unknown> = {};
  for (const name of [
    'clientSecret',
    'tokenEndpointAuthMethod',
    'registrationAccessToken',
    'registrationClientUri',
  ]) {
    if (value[name] === undefined) continue;
    if (!isText(value[name])) return { badField: name };
    optional[name] = value[name];
  }
  const grantTypes = value.grantTypes;
  if (grantTypes !== undefined) {
    if (!Array.isArray(grantTypes) || !grantTypes.every(isText)) return { badField: 'grantTypes' };
    optional.grantTypes = Object.freeze([...(grantTypes as string[])]);
  }
  const expiresAt = value.clientSecretExpiresAt;
  if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
      return { badField: 'clientSecretExpiresAt' };
    optional.clientSecretExpiresAt = expiresAt;
  }
  return Object.freeze({
    issuer: value.issuer,
    method: value.method as RegistrationMethod,
    clientId: value.clientId,
    redirectUris: Object.freeze([...(uris as string[])]),
    ...optional,
  }) as ClientRegistration;
}

/** Checks the registration a caller keeps for `issuer` (misuse → `TypeError`); returns a frozen copy. */
export function checkClientRegistration(issuer: string, registration: unknown): ClientRegistration {
  const read = readClientRegistration(registration);
  if ('badField' in read) {
    throw invalidArgument(`"registration.${read.badField}" is missing or of the wrong type`);
  }
  if (read.issuer !== issuer)
    throw invalidArgument('"registration.issuer" must be the issuer it is stored for');
  return read;
}
