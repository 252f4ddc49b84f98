/**
 * Every default of the token verifiers, in one place (STYLE.md "Defaults live in one place").
 * Each option's doc comment repeats its default.
 */
export const VERIFY_DEFAULTS = Object.freeze({
  /** JWS algorithms accepted when `algorithms` is not given: asymmetric only (RFC 8725 §3.1). */
  algorithms: Object.freeze(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA']),
  /** Seconds of clock skew tolerated on `exp` and `nbf`. */
  clockToleranceSeconds: 5,
  /** Largest `clockToleranceSeconds` accepted. */
  maxClockToleranceSeconds: 300,
  /** Accept `typ: JWT` or no `typ` besides `at+jwt` (most IdPs do not send `at+jwt`). */
  acceptGenericJwt: true,
  /** Seconds a fetched JWKS is used before it is fetched again (jose `cacheMaxAge`). */
  jwksCacheMaxAgeSeconds: 600,
  /** Seconds after a JWKS fetch during which an unknown `kid` does not trigger another fetch. */
  jwksCooldownSeconds: 30,
  /** Most successful verifications remembered by the verification cache. */
  cacheMaxEntries: 10_000,
  /** Longest time a cached JWT verification is served, whatever the token's `exp`. */
  cacheMaxTtlSeconds: 60,
  /** Longest time a cached introspection answer is served, whatever the token's `exp`. */
  introspectionCacheTtlSeconds: 30,
});

/** JWS algorithms that may be configured: asymmetric signatures jose verifies with a JWKS. */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
]);
