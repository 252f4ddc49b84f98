/**
 * Which stored tokens an `authFetch` uses, and what renewing them needs (MCP 2026-07-28 § Token
 * Handling and § Authorization Server Binding: tokens are bound to one resource, one authorization
 * server and one client).
 */
import { ProtocolError } from '@gatehouse/core';
import { type Discovery, discover } from '../discovery/discover.js';
import type { ClientHttpOptions } from '../http.js';
import { configuredClientRegistration } from '../registration/resolve-client-registration.js';
import type { ClientRegistration } from '../registration/types.js';
import type { StoreKey, TokenStore } from '../store/types.js';
import type { ClientIdentity } from './auth-fetch-options.js';

/** What an authorization or a store lookup established: where tokens come from, and for whom. */
export interface TokenBinding {
  readonly key: StoreKey;
  discovery?: Discovery;
  registration?: ClientRegistration;
}

/** What a refresh of the bound tokens needs (RFC 6749 §6, with the RFC 8707 `resource`). */
export interface RefreshContext {
  readonly metadata: Discovery['authorizationServer']['metadata'];
  readonly registration: ClientRegistration;
  /** The resource of the authorization (the PRM's, as published): a refresh asks for the same one. */
  readonly resource: string;
}

/** What {@link createTokenBindings} needs. */
export interface TokenBindingOptions {
  readonly store: TokenStore;
  /** The MCP server's canonical resource URI. */
  readonly resource: string;
  readonly http: ClientHttpOptions;
  /** The client identity of the options, read when needed. */
  readonly identity: () => ClientIdentity;
  /** The client id the options name (pre-registered, `MCP_CLIENT_ID`, CIMD), read when needed. */
  readonly configuredClientId: () => string | undefined;
}

/** The one binding of an `authFetch` instance, found in the store or set by an authorization. */
export interface TokenBindings {
  /** The binding held, without a lookup. */
  current(): TokenBinding | undefined;
  /**
   * The binding held, else the store entry of this resource (the configured client id's first,
   * else any): found with `store.list()`, without any network round trip.
   */
  find(): Promise<TokenBinding | undefined>;
  /** Holds `binding` (after an authorization). */
  bind(binding: TokenBinding): void;
  /**
   * The AS metadata and registration needed to refresh the tokens of `binding`: from the last
   * authorization, else discovered (and cached on `binding`). `undefined` when the server now names
   * another issuer, or the registration found is not the tokens' client.
   */
  refreshContext(binding: TokenBinding): Promise<RefreshContext | undefined>;
}

/** Creates the binding holder of one `authFetch` instance. */
export function createTokenBindings(options: TokenBindingOptions): TokenBindings {
  const { store, resource, http } = options;
  let binding: TokenBinding | undefined;

  /**
   * The pre-registered or CIMD identity the options give for this authorization server, if any; a
   * pre-registered client bound to another issuer gives none (the stored one is then looked up).
   */
  function configuredFor(metadata: Discovery['authorizationServer']['metadata']) {
    try {
      return configuredClientRegistration({ metadata, ...options.identity() });
    } catch (error) {
      if (error instanceof ProtocolError) return undefined;
      throw error;
    }
  }

  return {
    current: () => binding,

    async find() {
      if (binding !== undefined) return binding;
      const { entries } = await store.list();
      // The configured identity's entry first (a pre-registered or CIMD client id), else any of this resource.
      const wanted = options.configuredClientId();
      const found =
        entries.find((entry) => entry.key.resource === resource && entry.key.clientId === wanted) ??
        entries.find((entry) => entry.key.resource === resource);
      if (found !== undefined) binding = { key: found.key };
      return binding;
    },

    bind(next) {
      binding = next;
    },

    async refreshContext(current) {
      if (current.discovery === undefined) {
        const discovery = await discover(resource, http);
        if (discovery.authorizationServer.issuer !== current.key.issuer) return undefined;
        current.discovery = discovery;
      }
      if (current.registration === undefined) {
        // Pre-registered and CIMD identities are configuration, never stored: resolve them from the
        // options first, as the authorization did (a new process has only the store and its options).
        const registration =
          configuredFor(current.discovery.authorizationServer.metadata) ??
          (await store.getClient(current.key.issuer));
        if (registration?.clientId !== current.key.clientId) return undefined;
        current.registration = registration;
      }
      return {
        metadata: current.discovery.authorizationServer.metadata,
        registration: current.registration,
        resource: current.discovery.resource,
      };
    },
  };
}
