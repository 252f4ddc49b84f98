/**
 * The interactive (re-)authorization of an `authFetch` (issue 4 items 1 and 4): refused when
 * `interactive: false`, braked against storms, discovery with the challenge, the DPoP decision, the
 * chosen grant, the tokens stored and bound. Concurrent callers share the one under way.
 */

import type { BearerChallenge } from '../discovery/bearer-challenge.js';
import { discover } from '../discovery/discover.js';
import { generateDpopKey } from '../dpop/dpop-key.js';
import { clientRegistrationStore } from '../store/registration-store.js';
import type { StoredTokens } from '../store/types.js';
import type { AuthFetchConfig, ClientIdentity } from './auth-fetch-options.js';
import { type DpopSessions, shouldUseDpop } from './dpop-binding.js';
import { AuthorizationRequiredError } from './errors.js';
import { authorizeInteractively } from './interactive-authorization.js';
import { toStoredTokens } from './stored-tokens.js';
import { createStormBrake } from './storm-brake.js';
import type { TokenBindings } from './token-binding.js';

/** What {@link createSharedAuthorization} needs. */
export interface SharedAuthorizationOptions {
  readonly config: AuthFetchConfig;
  readonly bindings: TokenBindings;
  readonly dpopSessions: DpopSessions;
  /** The `dpop` option of `authFetch`. */
  readonly dpop: boolean | undefined;
  /** The client identity of the options, read when needed. */
  readonly identity: () => ClientIdentity;
}

/** One interactive authorization at a time for an `authFetch` instance. */
export interface SharedAuthorization {
  /**
   * Authorizes with `scope` (DPoP-bound tokens when {@link shouldUseDpop} says so; `dpopOnly`: the
   * resource challenged with `DPoP` alone), stores the tokens and binds them; joins the
   * authorization under way if there is one. Rejects with `AuthorizationRequiredError` when not
   * interactive, `AuthorizationStormError` past the brake, or the errors of the steps.
   */
  authorize(
    challenge: BearerChallenge | undefined,
    scope: readonly string[] | undefined,
    dpopOnly: boolean,
  ): Promise<StoredTokens>;
  /** Whether an authorization is under way (a caller that joins it may see tokens older than its 401). */
  inProgress(): boolean;
}

/** Creates the shared authorization of one `authFetch` instance. */
export function createSharedAuthorization(options: SharedAuthorizationOptions): SharedAuthorization {
  const { config, bindings, dpopSessions } = options;
  const { resource, store, http, authorization } = config;
  const brake = createStormBrake(resource, config.perMinute);
  let pending: Promise<StoredTokens> | undefined;

  async function authorizeNow(
    challenge: BearerChallenge | undefined,
    scope: readonly string[] | undefined,
    dpopOnly: boolean,
  ): Promise<StoredTokens> {
    if (!config.interactive) throw new AuthorizationRequiredError(resource, scope);
    brake.take();
    const discovery = await discover(resource, {
      ...http,
      ...(challenge === undefined ? {} : { challenge }),
    });
    const dpopKey = shouldUseDpop(options.dpop, discovery, dpopOnly) ? await generateDpopKey() : undefined;
    const result = await authorizeInteractively({
      ...(dpopKey === undefined ? {} : { dpop: dpopSessions.add(dpopKey) }),
      flow: config.flow,
      discovery,
      registration: { ...options.identity(), store: clientRegistrationStore(store) },
      authorization,
      scope,
      http,
    });
    const { registration } = result;
    const key = { issuer: discovery.authorizationServer.issuer, resource, clientId: registration.clientId };
    const stored = toStoredTokens(result.tokens, key, result.requestedScopes?.join(' '), dpopKey);
    await store.set(key, stored);
    bindings.bind({ key, discovery, registration });
    return stored;
  }

  return {
    authorize(challenge, scope, dpopOnly) {
      if (pending === undefined) {
        pending = authorizeNow(challenge, scope, dpopOnly).finally(() => {
          pending = undefined;
        });
      }
      return pending;
    },
    inProgress: () => pending !== undefined,
  };
}
