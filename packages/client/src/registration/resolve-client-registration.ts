/**
 * Choosing the client identity to use with an authorization server, in the MCP priority order
 * (MCP 2025-11-25 and 2026-07-28 § Client Registration Approaches; requirements §2.6, checklist
 * §10.1):
 *
 * 1. pre-registered credentials (`preRegistered`, else `MCP_CLIENT_ID` / `MCP_CLIENT_SECRET`);
 * 2. a Client ID Metadata Document (`clientMetadataUrl`), when the server advertises
 *    `client_id_metadata_document_supported: true`;
 * 3. dynamic client registration at `registration_endpoint` (cached per issuer in `store`);
 * 4. otherwise {@link RegistrationImpossible}, whose message tells the user what to do.
 */
import {
  type AuthorizationServerMetadata,
  type ClientRegistrationResponse,
  invalidArgument,
  isClientIdMetadataDocumentUrl,
  ProtocolError,
} from '@gatehouse/core';
import { DEVICE_CODE_GRANT_TYPE, offersDeviceAuthorization } from '../authorize/device-authorization.js';
import { type ClientHttpOptions, rejectUnknownOptions, resolveFetch } from '../http.js';
import {
  checkRedirectUris,
  dynamicClientMetadata,
  processRegistrationResponse,
  registrationRequest,
} from './dynamic-registration.js';
import { RegistrationImpossible } from './registration-impossible.js';
import type { ClientRegistration, ClientRegistrationStore, PreRegisteredClient } from './types.js';

/** Options of {@link resolveClientRegistration}. Each default is stated on its field. */
export interface ResolveClientRegistrationOptions extends ClientHttpOptions {
  /** Required. The validated metadata of the authorization server (its `issuer` keys everything). */
  readonly metadata: Readonly<AuthorizationServerMetadata>;
  /** Required, at least one. The redirect URIs the client will use. */
  readonly redirectUris: readonly string[];
  /** Required. The client's name, shown on the consent page (DCR `client_name`). */
  readonly clientName: string;
  /** Credentials registered out of band. Default: read from {@link env}. */
  readonly preRegistered?: PreRegisteredClient;
  /**
   * Where `MCP_CLIENT_ID` and `MCP_CLIENT_SECRET` are read when `preRegistered` is absent (empty values
   * count as unset). Default `process.env`; pass `{}` to ignore the environment.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The https URL of this client's Client ID Metadata Document (used as `client_id`), which the client
   * hosts itself and which must list `redirectUris`. Used only when the server advertises support.
   * Default: none.
   */
  readonly clientMetadataUrl?: string;
  /** Keeps dynamic registrations per issuer across runs. Default: none (register on every call). */
  readonly store?: ClientRegistrationStore;
  /** RFC 7591 §3 initial access token for the registration endpoint. Secret. Default: none. */
  readonly initialAccessToken?: string;
  /** DCR `application_type`. Default: `native` for loopback / private-use redirect URIs, else `web`. */
  readonly applicationType?: 'native' | 'web';
  /**
   * The registration is for the device authorization grant (RFC 8628): a cached dynamic
   * registration whose `grantTypes` lack `urn:ietf:params:oauth:grant-type:device_code` is replaced
   * by a new one. Default `false`. (A new dynamic registration asks for the device grant whenever
   * the server offers it, whatever this says.)
   */
  readonly deviceAuthorization?: boolean;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'fetch',
  'policy',
  'signal',
  'metadata',
  'redirectUris',
  'clientName',
  'preRegistered',
  'env',
  'clientMetadataUrl',
  'store',
  'initialAccessToken',
  'applicationType',
  'deviceAuthorization',
]);

function preRegisteredFrom(options: ResolveClientRegistrationOptions): PreRegisteredClient | undefined {
  const given = options.preRegistered;
  if (given !== undefined) {
    if (
      typeof given !== 'object' ||
      given === null ||
      typeof given.clientId !== 'string' ||
      given.clientId === ''
    ) {
      throw invalidArgument('"preRegistered.clientId" must be a non-empty string', 'ERR_MISSING_OPTION');
    }
    if (
      given.clientSecret !== undefined &&
      (typeof given.clientSecret !== 'string' || given.clientSecret === '')
    ) {
      throw invalidArgument('"preRegistered.clientSecret" must be a non-empty string when given');
    }
    if (given.issuer !== undefined && typeof given.issuer !== 'string') {
      throw invalidArgument('"preRegistered.issuer" must be a string', 'ERR_INVALID_ARG_TYPE');
    }
    return given;
  }
  const env = options.env ?? process.env;
  if (typeof env !== 'object' || env === null) {
    throw invalidArgument('"env" must be an object of environment variables', 'ERR_INVALID_ARG_TYPE');
  }
  const clientId = env.MCP_CLIENT_ID || undefined;
  const clientSecret = env.MCP_CLIENT_SECRET || undefined;
  if (clientId === undefined) {
    if (clientSecret !== undefined) {
      throw invalidArgument(
        'MCP_CLIENT_SECRET is set but MCP_CLIENT_ID is not: set both',
        'ERR_MISSING_OPTION',
      );
    }
    return undefined;
  }
  return clientSecret === undefined ? { clientId } : { clientId, clientSecret };
}

function fromPreRegistered(
  client: PreRegisteredClient,
  issuer: string,
  redirectUris: readonly string[],
): ClientRegistration {
  if (client.issuer !== undefined && client.issuer !== issuer) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      'the pre-registered client belongs to another authorization server than the one this MCP server uses: its credentials are not sent there (MCP 2026-07-28 § Authorization Server Binding); update "preRegistered"',
      { attribute: 'issuer', expected: client.issuer, actual: issuer },
    );
  }
  return Object.freeze({
    issuer,
    method: 'pre-registered',
    clientId: client.clientId,
    ...(client.clientSecret === undefined ? {} : { clientSecret: client.clientSecret }),
    redirectUris,
  });
}

/**
 * Whether a cached dynamic registration can still be used for `redirectUris` (and the device grant
 * when `deviceAuthorization`) now.
 */
function isUsable(
  cached: ClientRegistration | undefined,
  issuer: string,
  redirectUris: readonly string[],
  deviceAuthorization: boolean,
) {
  if (cached === undefined || typeof cached !== 'object' || cached === null) return false;
  if (
    cached.issuer !== issuer ||
    typeof cached.clientId !== 'string' ||
    !Array.isArray(cached.redirectUris)
  ) {
    return false;
  }
  if (!redirectUris.every((uri) => cached.redirectUris.includes(uri))) return false;
  if (deviceAuthorization && !cached.grantTypes?.includes(DEVICE_CODE_GRANT_TYPE)) return false;
  const expiresAt = cached.clientSecretExpiresAt;
  return !(
    cached.clientSecret !== undefined &&
    expiresAt !== undefined &&
    expiresAt !== 0 &&
    expiresAt * 1000 <= Date.now()
  );
}

function fromRegistrationResponse(
  response: Readonly<ClientRegistrationResponse>,
  issuer: string,
  redirectUris: readonly string[],
  askedGrantTypes: readonly string[] | undefined,
): ClientRegistration {
  const optional = {
    clientSecret: response.client_secret,
    clientSecretExpiresAt: response.client_secret_expires_at,
    registrationAccessToken: response.registration_access_token,
    registrationClientUri: response.registration_client_uri,
  };
  return Object.freeze({
    issuer,
    method: 'dynamic',
    clientId: response.client_id,
    tokenEndpointAuthMethod:
      response.token_endpoint_auth_method ??
      (response.client_secret === undefined ? 'none' : 'client_secret_basic'),
    redirectUris: Object.freeze([...(response.redirect_uris ?? redirectUris)]),
    grantTypes: Object.freeze([...(response.grant_types ?? askedGrantTypes ?? ['authorization_code'])]),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  });
}

/** Steps 1 and 2: the pre-registered or CIMD identity the options give for this server, if any. */
function configuredRegistration(
  options: Pick<ResolveClientRegistrationOptions, 'metadata' | 'preRegistered' | 'env' | 'clientMetadataUrl'>,
  issuer: string,
  redirectUris: readonly string[],
): ClientRegistration | undefined {
  const preRegistered = preRegisteredFrom(options as ResolveClientRegistrationOptions);
  if (preRegistered !== undefined) return fromPreRegistered(preRegistered, issuer, redirectUris);
  const { clientMetadataUrl } = options;
  if (clientMetadataUrl !== undefined && options.metadata.client_id_metadata_document_supported === true) {
    return Object.freeze({
      issuer,
      method: 'client-id-metadata-document',
      clientId: clientMetadataUrl,
      tokenEndpointAuthMethod: 'none',
      redirectUris,
    });
  }
  return undefined;
}

/**
 * The identity that {@link resolveClientRegistration} would take from its options alone, without
 * any network request or store: the pre-registered client (options, else `MCP_CLIENT_ID` /
 * `MCP_CLIENT_SECRET`), else the CIMD client when the server supports it; `undefined` when the
 * client would register dynamically. Used to refresh tokens in a new process: those identities are
 * configuration, never written to a store. Throws like `resolveClientRegistration` on misuse and
 * on a pre-registered client bound to another issuer.
 *
 * @example
 * const registration = configuredClientRegistration({ metadata, redirectUris, clientName, preRegistered })
 *   ?? (await store.getClient(metadata.issuer));
 */
export function configuredClientRegistration(
  options: Omit<ResolveClientRegistrationOptions, 'store' | 'initialAccessToken' | 'deviceAuthorization'>,
): ClientRegistration | undefined {
  if (typeof options?.metadata?.issuer !== 'string') {
    throw invalidArgument(
      '"metadata" is required: the validated authorization server metadata',
      'ERR_MISSING_OPTION',
    );
  }
  const redirectUris = checkRedirectUris(options.redirectUris);
  if (options.clientMetadataUrl !== undefined && !isClientIdMetadataDocumentUrl(options.clientMetadataUrl)) {
    throw invalidArgument('"clientMetadataUrl" must be an https URL with a path (CIMD draft §3)');
  }
  return configuredRegistration(options, options.metadata.issuer, redirectUris);
}

/**
 * Returns the client identity to use with the authorization server described by `metadata`, trying
 * the MCP registration approaches in priority order (see the module comment):
 *
 * - **pre-registered**: `preRegistered`, else `MCP_CLIENT_ID` (+ `MCP_CLIENT_SECRET`) from `env`. If
 *   `preRegistered.issuer` names another server, rejects with `ProtocolError` `ERR_UNEXPECTED_VALUE`
 *   (attribute `issuer`) instead of sending the credentials elsewhere. Never stored.
 * - **CIMD**: when `clientMetadataUrl` is given AND the metadata says
 *   `client_id_metadata_document_supported: true`: `client_id` = that URL, public client. Never stored.
 * - **dynamic**: the registration cached in `store` for this issuer when it still covers every
 *   `redirectUris` entry (and the device code grant, with `deviceAuthorization`), and its secret has
 *   not expired; otherwise ONE new registration at `registration_endpoint` (see
 *   `dynamicClientMetadata`; the device code grant is asked for when the server offers it), which
 *   replaces the cached one. A stale registration is thus replaced, never retried in a loop.
 * - else rejects with {@link RegistrationImpossible}.
 *
 * Rejects with the `OAuthError` of a registration error answer (the server's `error` code and
 * status) or the `ProtocolError`s of `processRegistrationResponse`. Misuse is a `TypeError` (also a
 * `clientMetadataUrl` that is not an https URL with a path). Messages never contain secrets.
 *
 * Does NOT fetch or check the Client ID Metadata Document (the client hosts it), verify that a
 * pre-registered client's redirect URIs are registered, or pick the token endpoint auth method of a
 * pre-registered client.
 *
 * @example
 * const registration = await resolveClientRegistration({
 *   metadata: found.authorizationServer.metadata,
 *   redirectUris: ['http://127.0.0.1:8765/callback'],
 *   clientName: 'My MCP client',
 *   store,
 * });
 */
export async function resolveClientRegistration(
  options: ResolveClientRegistrationOptions,
): Promise<ClientRegistration> {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('resolveClientRegistration() needs an options object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'resolveClientRegistration()');
  resolveFetch(options);
  const { metadata, clientMetadataUrl, store } = options;
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.issuer !== 'string') {
    throw invalidArgument(
      '"metadata" is required: the validated authorization server metadata',
      'ERR_MISSING_OPTION',
    );
  }
  const { issuer } = metadata;
  const redirectUris = checkRedirectUris(options.redirectUris);
  if (clientMetadataUrl !== undefined && !isClientIdMetadataDocumentUrl(clientMetadataUrl)) {
    throw invalidArgument('"clientMetadataUrl" must be an https URL with a path (CIMD draft §3)');
  }
  if (store !== undefined && (typeof store?.get !== 'function' || typeof store.set !== 'function')) {
    throw invalidArgument(
      '"store" must have get(issuer) and set(issuer, registration)',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const { deviceAuthorization = false } = options;
  if (typeof deviceAuthorization !== 'boolean') {
    throw invalidArgument('"deviceAuthorization" must be a boolean', 'ERR_INVALID_ARG_TYPE');
  }
  const clientMetadata = dynamicClientMetadata({
    redirectUris,
    clientName: options.clientName,
    ...(options.applicationType === undefined ? {} : { applicationType: options.applicationType }),
    deviceAuthorization: offersDeviceAuthorization(metadata),
  });

  const configured = configuredRegistration(options, issuer, redirectUris);
  if (configured !== undefined) return configured;

  const endpoint = metadata.registration_endpoint;
  if (endpoint === undefined) {
    throw new RegistrationImpossible({ issuer, clientMetadataUrlGiven: clientMetadataUrl !== undefined });
  }
  const cached = await store?.get(issuer);
  if (isUsable(cached, issuer, redirectUris, deviceAuthorization)) return cached as ClientRegistration;

  const response = await registrationRequest(endpoint, clientMetadata, {
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.initialAccessToken === undefined ? {} : { initialAccessToken: options.initialAccessToken }),
  });
  const registration = fromRegistrationResponse(
    await processRegistrationResponse(response, { redirectUris }),
    issuer,
    redirectUris,
    clientMetadata.grant_types,
  );
  await store?.set(issuer, registration);
  return registration;
}
