/**
 * The whole discovery of an MCP client, from the server URL (and its 401 challenge) to a validated
 * authorization server (MCP 2026-07-28 "Full client discovery + authorization algorithm" steps 1-6,
 * requirements §1.4; checklist §10.1). A small state machine over the request/process pairs:
 *
 * ```
 * challenge ─▶ Protected Resource Metadata ─found─▶ pick an issuer ─▶ authorization server metadata
 *                       │ none (every URL 4xx, no resource_metadata in the challenge)
 *                       └─▶ legacy 2025-03-26: origin-root metadata, else default endpoints
 * ```
 */
import {
  type AuthorizationServerMetadata,
  canonicalResourceUri,
  invalidArgument,
  type ProtectedResourceMetadata,
  ProtocolError,
} from '@gatehouse/core';
import {
  DISCOVERY_HTTP_OPTIONS,
  type DiscoveryHttpOptions,
  describeUrl,
  rejectUnknownOptions,
  resolveFetch,
} from '../http.js';
import { discoverAuthorizationServer } from './authorization-server.js';
import { type BearerChallenge, readBearerChallenge, splitScope } from './bearer-challenge.js';
import { discoverLegacyAuthorizationServer } from './legacy-authorization-server.js';
import { discoverProtectedResource } from './protected-resource.js';

/** Options of {@link discover}. Each default is stated on its field. */
export interface DiscoverOptions extends DiscoveryHttpOptions {
  /**
   * The server's 401 (or 403) response, or its already-read `Bearer` challenge: its
   * `resource_metadata` is tried first and its `scope` becomes `challengedScopes`. Default: none
   * (the well-known URLs only).
   */
  readonly challenge?: Response | BearerChallenge;
  /**
   * Chooses the authorization server among the Protected Resource Metadata's
   * `authorization_servers` (RFC 9728 §7.6 leaves the choice to the client). Must return one of them.
   * Default: the first entry, the one the server lists first; the list has no defined order, so a
   * client with a preference should pass this.
   */
  readonly selectAuthorizationServer?: (issuers: readonly string[]) => string;
  /**
   * Whether a server without any Protected Resource Metadata (every well-known URL 4xx, and no
   * `resource_metadata` in its challenge) is treated as a 2025-03-26 server: see
   * `discoverLegacyAuthorizationServer`. When `false`, discovery rejects instead. Default `true`.
   */
  readonly legacyFallback?: boolean;
}

/** The result of {@link discover}. */
export interface Discovery {
  /**
   * The RFC 8707 `resource` to request: the Protected Resource Metadata's `resource` exactly as
   * published (it was checked to designate this server; e.g. its origin when the document came from
   * the root well-known URL), else, for a legacy server, the MCP server's canonical URI (core
   * `canonicalResourceUri`).
   */
  readonly resource: string;
  /** Where the Protected Resource Metadata was found and the document; absent for a legacy server. */
  readonly protectedResource?: {
    readonly url: string;
    readonly metadata: Readonly<ProtectedResourceMetadata>;
  };
  /** The chosen authorization server. Credentials and tokens must be kept per `issuer` (MCP 2026-07-28). */
  readonly authorizationServer: {
    readonly issuer: string;
    readonly metadata: Readonly<AuthorizationServerMetadata>;
    /** `true` for the 2025-03-26 fallback (no Protected Resource Metadata). */
    readonly legacy: boolean;
    /** The metadata URL that answered, `undefined` for the 2025-03-26 default endpoints. */
    readonly url: string | undefined;
  };
  /**
   * The scopes of the challenge's `scope` parameter, when it had any: authoritative for the current
   * operation (MCP 2025-11-25 § Scope Selection Strategy). Absent otherwise.
   */
  readonly challengedScopes?: readonly string[];
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  ...DISCOVERY_HTTP_OPTIONS,
  'challenge',
  'selectAuthorizationServer',
  'legacyFallback',
]);

function readChallenge(value: unknown): BearerChallenge | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Response) return readBearerChallenge(value);
  if (typeof value !== 'object' || value === null) {
    throw invalidArgument('"challenge" must be a Response or a BearerChallenge', 'ERR_INVALID_ARG_TYPE');
  }
  return value as BearerChallenge;
}

function selectIssuer(
  issuers: readonly string[],
  select: DiscoverOptions['selectAuthorizationServer'],
): string {
  if (select === undefined) return issuers[0]!;
  if (typeof select !== 'function') {
    throw invalidArgument('"selectAuthorizationServer" must be a function', 'ERR_INVALID_ARG_TYPE');
  }
  const chosen = select(issuers);
  if (!issuers.includes(chosen)) {
    throw invalidArgument('"selectAuthorizationServer" must return one of the issuers it was given');
  }
  return chosen;
}

/**
 * Discovers how to get a token for an MCP server:
 *
 * 1. the canonical resource URI of `serverUrl`;
 * 2. its Protected Resource Metadata (`discoverProtectedResource`: the challenge's
 *    `resource_metadata`, then path-inserted, then root), whose `resource` must designate the server
 *    and becomes the `resource` to request, exactly as published;
 * 3. one of its `authorization_servers` (the first, unless `selectAuthorizationServer` says otherwise);
 * 4. that server's metadata (`discoverAuthorizationServer`: RFC 8414, OIDC insertion, OIDC
 *    appending; issuer identical; PKCE S256 required);
 * 5. or, when the server has no Protected Resource Metadata at all and its challenge named none,
 *    the 2025-03-26 fallback (`discoverLegacyAuthorizationServer`), flagged `legacy: true`.
 *
 * Rejects with the `ProtocolError` of the step that failed (each names the URL or the field), or
 * `ERR_MISSING_ATTRIBUTE` (attribute `resource_metadata`) when no metadata exists and the legacy
 * fallback does not apply. Misuse (bad `serverUrl`, bad options) is a `TypeError`.
 *
 * Does NOT register a client, choose scopes beyond reporting `challengedScopes`, or cache anything.
 *
 * @example
 * const response = await fetch(mcpUrl, { method: 'POST', headers, body });
 * if (response.status === 401) {
 *   const found = await discover(mcpUrl, { challenge: response, protocolVersion: '2025-11-25' });
 *   found.authorizationServer.metadata.authorization_endpoint;
 * }
 */
export async function discover(serverUrl: string, options: DiscoverOptions = {}): Promise<Discovery> {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options of discover() must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'discover()');
  const { challenge: challengeInput, selectAuthorizationServer, legacyFallback = true, ...http } = options;
  if (typeof legacyFallback !== 'boolean') {
    throw invalidArgument('"legacyFallback" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  resolveFetch(http);
  const resource = canonicalResourceUri(serverUrl);
  const challenge = readChallenge(challengeInput);
  const scopes = splitScope(challenge?.scope);
  const challengedScopes = scopes.length === 0 ? {} : { challengedScopes: Object.freeze(scopes) };

  const protectedResource = await discoverProtectedResource(resource, {
    ...http,
    ...(challenge?.resource_metadata === undefined
      ? {}
      : { resourceMetadataUrl: challenge.resource_metadata }),
  });

  if (protectedResource !== undefined) {
    const issuer = selectIssuer(protectedResource.metadata.authorization_servers, selectAuthorizationServer);
    const { metadata, url, legacy } = await discoverAuthorizationServer(issuer, http);
    return Object.freeze({
      resource: protectedResource.metadata.resource,
      protectedResource,
      authorizationServer: Object.freeze({ issuer: metadata.issuer, metadata, legacy, url }),
      ...challengedScopes,
    });
  }

  if (!legacyFallback || challenge?.resource_metadata !== undefined) {
    throw new ProtocolError(
      'ERR_MISSING_ATTRIBUTE',
      `no protected resource metadata was found for ${describeUrl(resource)}: every URL tried answered with a client error (RFC 9728 §3)`,
      { attribute: 'resource_metadata', expected: 'a 200 answer', actual: undefined },
    );
  }
  const { issuer, metadata, url, legacy } = await discoverLegacyAuthorizationServer(resource, http);
  return Object.freeze({
    resource,
    authorizationServer: Object.freeze({ issuer, metadata, legacy, url }),
    ...challengedScopes,
  });
}
