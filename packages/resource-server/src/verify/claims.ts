import { InvalidToken } from '@gatehouse/core';

/**
 * Small validators that turn verified-but-untyped claims (a JWT payload, an introspection
 * response) into {@link AuthInfo} fields. Shared by the JWT and introspection verifiers so that
 * both read `client_id`, `scope` and `aud` the same way. Every failure is an `InvalidToken` whose
 * description names the claim and never echoes its value.
 */

/** An `InvalidToken` (401) with a fixed, non-echoing description. */
export function invalidToken(description: string): InvalidToken {
  return new InvalidToken({ description });
}

/** Claim names tried, in order, for the client identifier. */
const CLIENT_ID_CLAIMS = ['client_id', 'azp', 'cid'] as const;

/**
 * The OAuth client the token was issued to: `client_id` (RFC 9068 §2.2, RFC 7662 §2.2), else
 * `azp` (OpenID Connect; Auth0, Entra ID v2), else `cid` (Okta). RFC 9068 makes `client_id`
 * REQUIRED, so a token with none of the three is refused.
 */
export function readClientId(claims: Readonly<Record<string, unknown>>): string {
  for (const name of CLIENT_ID_CLAIMS) {
    const value = claims[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw invalidToken(`token "${name}" claim is invalid`);
    return value;
  }
  throw invalidToken('token has no "client_id" claim');
}

function splitScope(value: string): string[] {
  return value.split(' ').filter((scope) => scope !== '');
}

function readScopeClaim(name: string, value: unknown): string[] {
  if (typeof value === 'string') return splitScope(value);
  if (Array.isArray(value) && value.every((scope) => typeof scope === 'string')) {
    return value.flatMap((scope: string) => splitScope(scope));
  }
  throw invalidToken(`token "${name}" claim is invalid`);
}

/**
 * Granted scopes: `scope` (RFC 9068 §2.2.3, RFC 8693 §4.2: one space-separated string), else `scp`
 * (Entra ID, Okta: an array of strings or a string). An array is also accepted in `scope`. No
 * scope claim means no scopes (an empty array), not an error.
 */
export function readScopes(claims: Readonly<Record<string, unknown>>): string[] {
  if (claims.scope !== undefined) return readScopeClaim('scope', claims.scope);
  if (claims.scp !== undefined) return readScopeClaim('scp', claims.scp);
  return [];
}

/** The resource owner (`sub`, RFC 7519 §4.1.2), or `undefined` when absent. */
export function readSubject(claims: Readonly<Record<string, unknown>>): string | undefined {
  const { sub } = claims;
  if (sub === undefined) return undefined;
  if (typeof sub !== 'string') throw invalidToken('token "sub" claim is invalid');
  return sub;
}

/**
 * The audiences a token names (`aud`, RFC 7519 §4.1.3: one string or an array of strings), after
 * checking that they contain `expected` exactly (simple string comparison, RFC 8707 §2; MCP
 * 2025-06-18 § Token Audience Binding and Validation). Does NOT normalise the token's values: the
 * authorization server copies the client's `resource` parameter, which is already canonical.
 */
export function readAudience(claims: Readonly<Record<string, unknown>>, expected: string): string[] {
  const { aud } = claims;
  let audience: string[];
  if (typeof aud === 'string') audience = [aud];
  else if (Array.isArray(aud) && aud.every((value) => typeof value === 'string')) audience = [...aud];
  else if (aud === undefined) throw invalidToken('token has no "aud" claim');
  else throw invalidToken('token "aud" claim is invalid');
  if (!audience.includes(expected)) throw invalidToken('token audience does not include this resource');
  return audience;
}

/** A NumericDate claim (RFC 7519 §2), or `undefined` when absent. */
export function readNumericDate(claims: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidToken(`token "${name}" claim is invalid`);
  return value;
}
