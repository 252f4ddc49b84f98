/**
 * Client ID Metadata Documents in the authorization server (CIMD draft
 * draft-ietf-oauth-client-id-metadata-document-00; MCP 2025-11-25 and later § Client ID Metadata
 * Documents, requirements §1.3/§1.4 A5–A6 and §10.3).
 *
 * A `client_id` that is an https URL with a path is not looked up in storage: its document is
 * fetched (core's `createSafeFetch`: public addresses only, no redirects, size and time limits),
 * validated (core's `validateClientIdMetadataDocument`: `client_id` equal to the URL, `client_name`,
 * `redirect_uris`, no shared secret), cached per its HTTP caching headers, and handed to
 * oidc-provider as the client's metadata through the storage adapter's `Client` model. The provider
 * then checks the authorization request (redirect URI exactly as listed in the document, PKCE, …)
 * as for any client.
 *
 * oidc-provider 9 has an experimental `clientIdMetadataDocument` feature (draft-02, acknowledgement
 * required); it is not used: it fetches with its own client, accepts `https:` URLs only (so no
 * loopback tests), caches `no-store` documents, and reports every failure with one generic message.
 *
 * Every refusal is the provider's `invalid_client` error with a description from
 * {@link refusalDescription}: the authorization endpoint shows it on its error page (it cannot
 * redirect for an unusable client), the token endpoint answers JSON 400.
 */
import { createSafeFetch, type ResolveHost, type SafeFetch } from '@gatehouse/core';
import { type Adapter, type AdapterConstructor, type AdapterPayload, errors } from 'oidc-provider';
import { type CacheBounds, createTtlCache } from './cache.js';
import {
  clientIdMetadataDocumentRequest,
  processClientIdMetadataDocumentResponse,
  refusalDescription,
} from './fetch-document.js';
import { CIMD_DEFAULTS, isCimdClientId, isHostTrusted, type ResolvedCimdOptions } from './policy.js';
import { toClientMetadata } from './to-client-metadata.js';

export { type CacheBounds, cacheLifetimeSeconds } from './cache.js';
export { refusalDescription } from './fetch-document.js';
export {
  CIMD_DEFAULTS,
  type CimdOptions,
  isCimdClientId,
  isHostTrusted,
  type ResolvedCimdOptions,
  resolveCimdOptions,
} from './policy.js';

/** Resolves CIMD client IDs to oidc-provider client metadata. */
export interface CimdResolver {
  /** Whether `clientId` is a CIMD URL this resolver answers for (see `isCimdClientId`). */
  handles(clientId: string): boolean;
  /**
   * The client metadata of the document at `clientId` (from the cache or fetched now).
   *
   * @throws oidc-provider's `InvalidClient` (`invalid_client`, a description naming the problem)
   *   for an untrusted host or a document that cannot be fetched or is invalid.
   */
  resolve(clientId: string): Promise<Record<string, unknown>>;
  /** Closes the fetch connection pool. */
  close(): Promise<void>;
}

/**
 * @internal Test seams, not part of the documented API: `lookup` replaces name resolution of the
 * fetch (so a test can make a name resolve to a private address without any DNS query or traffic),
 * `now` the cache clock (milliseconds).
 */
export interface CimdInternals {
  lookup?: ResolveHost;
  now?: () => number;
}

type Outcome = { ok: true; metadata: Record<string, unknown> } | { ok: false; description: string };

const BOUNDS: CacheBounds = {
  minSeconds: CIMD_DEFAULTS.cacheMinSeconds,
  maxSeconds: CIMD_DEFAULTS.cacheMaxSeconds,
};

/**
 * Creates the resolver for `options` (from `resolveCimdOptions`). Documents are cached for the
 * lifetime `cacheLifetimeSeconds` gives (floor {@link CIMD_DEFAULTS}.cacheMinSeconds, ceiling
 * `cacheMaxSeconds`; `no-store` / `no-cache` → not cached); failures for `failureCacheSeconds`;
 * concurrent lookups of one URL share one fetch.
 *
 * It does NOT decide whether a user trusts the client: the consent page shows the document's host.
 */
export function createCimdResolver(
  options: ResolvedCimdOptions,
  internals: CimdInternals = {},
): CimdResolver {
  const fetch: SafeFetch = createSafeFetch(
    {
      allowLoopback: options.dangerouslyAllowLoopback,
      timeoutMs: options.fetchTimeoutMs,
      maxResponseBytes: options.maxDocumentBytes,
    },
    internals.lookup === undefined ? {} : { lookup: internals.lookup },
  );
  const cache = createTtlCache<Outcome>({
    maxEntries: CIMD_DEFAULTS.cacheEntries,
    ...(internals.now === undefined ? {} : { now: internals.now }),
  });
  const inFlight = new Map<string, Promise<Outcome>>();

  async function load(clientId: string): Promise<Outcome> {
    try {
      const response = await clientIdMetadataDocumentRequest(clientId, fetch);
      const { document, cacheSeconds } = await processClientIdMetadataDocumentResponse(
        response,
        clientId,
        BOUNDS,
      );
      const outcome: Outcome = { ok: true, metadata: toClientMetadata(document) };
      cache.set(clientId, outcome, cacheSeconds);
      return outcome;
    } catch (error) {
      const outcome: Outcome = { ok: false, description: refusalDescription(error) };
      cache.set(clientId, outcome, CIMD_DEFAULTS.failureCacheSeconds);
      return outcome;
    }
  }

  return {
    handles: (clientId) => isCimdClientId(clientId, options),
    async resolve(clientId) {
      if (!isHostTrusted(clientId, options)) {
        throw new errors.InvalidClient(
          'the client_id host is not trusted by this authorization server for client ID metadata documents',
        );
      }
      let outcome = cache.get(clientId);
      if (outcome === undefined) {
        let pending = inFlight.get(clientId);
        if (pending === undefined) {
          pending = load(clientId).finally(() => inFlight.delete(clientId));
          inFlight.set(clientId, pending);
        }
        outcome = await pending;
      }
      if (!outcome.ok) throw new errors.InvalidClient(outcome.description);
      return { ...outcome.metadata };
    },
    close: () => fetch.close(),
  };
}

const CLIENT_MODEL = 'Client';

/**
 * Wraps the provider's storage adapter class so that the `Client` model's `find` answers CIMD
 * client IDs through `resolver` (never from storage); every other model and client ID is untouched.
 */
export function withClientIdMetadataDocuments(
  Base: AdapterConstructor,
  resolver: CimdResolver,
): AdapterConstructor {
  return class CimdAdapter extends (Base as new (name: string) => Adapter) {
    readonly #isClient: boolean;

    constructor(name: string) {
      super(name);
      this.#isClient = name === CLIENT_MODEL;
    }

    override async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#isClient && resolver.handles(id)) {
        return (await resolver.resolve(id)) as AdapterPayload;
      }
      return (await super.find(id)) ?? undefined;
    }
  };
}
