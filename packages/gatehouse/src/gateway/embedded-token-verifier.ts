/**
 * How `gatehouse serve` verifies the embedded authorization server's access tokens: locally, with
 * the public half of the keys that server holds (no HTTP round trip), following its key changes.
 *
 * The authorization server replaces its key set when it reloads the keys from the storage (every
 * `keyReloadIntervalSeconds`, see `AuthorizationServer.reloadKeys`); this verifier notices the new
 * set at the next token. A token signed with a key it does not know yet (rotated by another
 * instance sharing the database, which already signs with it) makes it ask for a reload at once,
 * at most once per `reloadCooldownMs`, instead of refusing the token until the next timer tick.
 */
import { type AuthorizationServer, type KeySet, toPublicJwks } from '@gatehouse/authorization-server';
import { InvalidToken, TemporarilyUnavailable } from '@gatehouse/core';
import { type AccessTokenVerifier, createJwtVerifier } from '@gatehouse/resource-server';

/** Options of {@link createEmbeddedTokenVerifier}. */
export interface EmbeddedTokenVerifierOptions {
  /** The authorization server's issuer; tokens must carry it as `iss`. */
  readonly issuer: string;
  /** The resource's canonical URI; tokens must name it in `aud`. */
  readonly audience: string;
  /** Least time between two reloads caused by tokens with an unknown key. Default 5000 ms. */
  readonly reloadCooldownMs?: number;
  /** The clock in milliseconds. Default `Date.now`; for tests. */
  readonly now?: () => number;
}

/**
 * The description the resource server's JWT verifier gives a token whose `kid` matches no key of
 * the set (`verify/jose-errors.ts` in `@gatehouse/resource-server`).
 */
const UNKNOWN_KEY_DESCRIPTION = 'unknown signing key';

function isUnknownKey(error: unknown): boolean {
  return error instanceof InvalidToken && error.error_description === UNKNOWN_KEY_DESCRIPTION;
}

/**
 * Creates the verifier: RFC 9068 JWT checks (`createJwtVerifier`: signature, `iss`, `aud`, `exp`,
 * `typ`, …) against the server's current public keys. A token with an unknown key triggers
 * `server.reloadKeys()` (rate-limited) and one more try with the keys that brings; when the reload
 * fails (database unreachable) the answer is 503 `temporarily_unavailable`, since the token may
 * well be valid. It does NOT check scopes (the resource server does, per operation).
 *
 * @example
 * const verify = createEmbeddedTokenVerifier(server, { issuer: server.issuer, audience: 'http://127.0.0.1:8080/mcp' });
 * createResourceServer({ resource, authorizationServers: [server.issuer], verify });
 */
export function createEmbeddedTokenVerifier(
  server: Pick<AuthorizationServer, 'keys' | 'reloadKeys'>,
  options: EmbeddedTokenVerifierOptions,
): AccessTokenVerifier {
  const { issuer, audience, reloadCooldownMs = 5000, now = Date.now } = options;
  let keys: KeySet | undefined;
  let verifier: AccessTokenVerifier | undefined;
  let lastReload = Number.NEGATIVE_INFINITY;

  /** The verifier for the server's current key set, rebuilt when the set was replaced. */
  function current(): AccessTokenVerifier {
    if (verifier === undefined || server.keys !== keys) {
      keys = server.keys;
      verifier = createJwtVerifier({ issuer, audience, jwks: toPublicJwks(keys) });
    }
    return verifier;
  }

  /** Whether the key set changed since `seen`, reloading it from the storage when allowed. */
  async function keysChangedSince(seen: KeySet | undefined): Promise<boolean> {
    const t = now();
    if (server.keys === seen && t - lastReload >= reloadCooldownMs) {
      lastReload = t;
      try {
        await server.reloadKeys();
      } catch (cause) {
        throw new TemporarilyUnavailable({
          description: 'the signing keys could not be reloaded; try again shortly',
          cause,
        });
      }
    }
    return server.keys !== seen;
  }

  return {
    async verify(token: string) {
      const first = current();
      const seen = keys;
      try {
        return await first.verify(token);
      } catch (error) {
        if (!isUnknownKey(error) || !(await keysChangedSince(seen))) throw error;
        return current().verify(token);
      }
    },
  };
}
