/**
 * node-oidc-provider configured as an MCP authorization server (MCP requirements §10.3; OAuth 2.1;
 * RFC 8707, RFC 9068, RFC 7591/7592, RFC 7009, RFC 7662, RFC 9207, RFC 8252).
 *
 * What each option does, in one table:
 *
 * | concern | setting |
 * | --- | --- |
 * | response types | `code` only |
 * | PKCE | required for every client, `S256` only (the provider knows no other method) |
 * | resource indicators | each configured resource; unknown → `invalid_target`; default when exactly one; JWT access tokens (`typ: at+jwt`, ES256, `aud` = resource) |
 * | scopes | union of resource scopes + `openid` + `offline_access` |
 * | no `scope` requested | every scope of the requested (or default) resource, within the client's registered `scope` (RFC 6749 §3.3; default-scope.ts) |
 * | refresh tokens | issued when the client may use the `refresh_token` grant; rotated on every use by public clients (confidential: after 70% of the lifetime); reuse window in the storage adapter |
 * | session binding | none: codes and tokens live by the grant, not the browser session at this server, so an MCP client keeps working after the user signs out of the pages or clears cookies (revoke the grant to end its access) |
 * | client credentials | enabled (confidential clients: secret basic/post, `private_key_jwt`) |
 * | device authorization grant (RFC 8628) | enabled for clients registered with its grant type; user codes, pages, polling: device-flow.ts |
 * | revocation / introspection | enabled; introspection only for authenticated confidential clients |
 * | registration | open / initial access token / off, with RFC 7592 management; extra redirect URI rules; client ids never begin with '-' (client-id.ts) |
 * | client ID metadata documents | https `client_id`s resolved by the storage adapter (src/cimd), not the provider's experimental feature; `client_id_metadata_document_supported` advertised unless `cimd.enabled: false` |
 * | interactions | `${mountPath}/interaction/${uid}`, served by the interaction routes; dev interactions off |
 */
import type {
  Account,
  AdapterConstructor,
  ClientAuthMethod,
  Configuration,
  JWK,
  KoaContextWithOIDC,
  ResourceServer,
} from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AccountRecord } from '../storage/contract.js';
import { newClientId } from './client-id.js';
import { applyDefaultScope } from './default-scope.js';
import { deviceFlowFeature, withExpiredDeviceCodes } from './device-flow.js';
import type { ResolvedOptions } from './options.js';
import { checkRedirectUris } from './redirect-uri-policy.js';
import { renderError } from './render-error.js';

/** What the configuration needs from the account service. */
export interface AccountLookup {
  findById(id: string): Promise<AccountRecord | undefined>;
}

/** What the configuration needs from the key set. */
export interface ProviderKeys {
  readonly signing: { readonly keys: readonly JWK[] };
  readonly cookieKeys: readonly string[];
}

/** Inputs of {@link createProviderConfiguration}. */
export interface ProviderConfigurationInput {
  options: ResolvedOptions;
  keys: ProviderKeys;
  accounts: AccountLookup;
  adapter: AdapterConstructor;
}

/** The client authentication methods accepted at the token, revocation and introspection endpoints. */
export const CLIENT_AUTH_METHODS: ClientAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** A registration metadata name used only to run {@link checkRedirectUris} (never stored). */
const POLICY_PROPERTY = 'gatehouse_redirect_uri_policy';

/** The scopes advertised and accepted: every resource's scopes, `openid` and `offline_access`. */
export function supportedScopes(options: ResolvedOptions): string[] {
  const scopes = new Set<string>(['openid', 'offline_access']);
  for (const { scopes: resourceScopes } of options.resources.values()) {
    for (const scope of Object.keys(resourceScopes)) scopes.add(scope);
  }
  return [...scopes];
}

function isPublic(client: { clientAuthMethod?: string | undefined }): boolean {
  return client.clientAuthMethod === 'none';
}

/**
 * Builds the oidc-provider configuration of the MCP profile (see the table above). It does NOT
 * create the provider, load keys or mount anything.
 */
export function createProviderConfiguration(input: ProviderConfigurationInput): Configuration {
  const { options, keys, accounts, adapter } = input;
  const { resources, ttl, mountPath } = options;
  const onlyResource = resources.size === 1 ? [...resources.keys()][0] : undefined;

  const registration = options.registration !== 'off';

  return {
    adapter: withExpiredDeviceCodes(adapter),
    jwks: { keys: keys.signing.keys.map((key) => ({ ...key })) },
    cookies: { keys: [...keys.cookieKeys] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: supportedScopes(options),
    extraParams: { scope: applyDefaultScope },
    claims: { openid: ['sub', 'preferred_username'] },
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    async findAccount(_ctx, sub): Promise<Account | undefined> {
      const account = await accounts.findById(sub);
      if (account === undefined) return undefined;
      return {
        accountId: account.id,
        claims: () => ({ sub: account.id, preferred_username: account.username }),
      };
    },
    interactions: {
      url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}`,
    },
    renderError,
    // Client ID Metadata Documents are resolved by the storage adapter (src/cimd), not a provider feature.
    ...(options.cimd.enabled ? { discovery: { client_id_metadata_document_supported: true } } : {}),
    clientBasedCORS(_ctx, origin, client) {
      // Browser-based public clients may call the token endpoint from their redirect URIs' origins.
      if (origin === 'null' || !isPublic(client)) return false;
      return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // MCP clients are not present in the browser: their tokens follow the grant (see the table above).
    expiresWithSession: async () => false,
    rotateRefreshToken(ctx: KoaContextWithOIDC): boolean {
      const { RefreshToken: token, Client: client } = ctx.oidc.entities;
      if (client === undefined || token === undefined) return true;
      if (isPublic(client)) return true;
      return token.ttlPercentagePassed() >= 70;
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
      AuthorizationCode: ttl.authorizationCodeSeconds,
      RefreshToken: ttl.refreshTokenSeconds,
      Session: ttl.sessionSeconds,
      Interaction: ttl.interactionSeconds,
      Grant: ttl.grantSeconds,
      IdToken: ttl.idTokenSeconds,
      DeviceCode: ttl.deviceCodeSeconds,
    },
    extraClientMetadata: {
      properties: [POLICY_PROPERTY],
      validator(_ctx, key, _value, metadata) {
        if (key !== POLICY_PROPERTY) return;
        // Never stored or echoed, whatever a client sends under this name.
        (metadata as Record<string, unknown>)[POLICY_PROPERTY] = undefined;
        const problem = checkRedirectUris(metadata.redirect_uris);
        if (problem !== undefined) throw new errors.InvalidRedirectUri(problem);
        const grantTypes = metadata.grant_types;
        if (
          Array.isArray(grantTypes) &&
          grantTypes.includes('client_credentials') &&
          metadata.token_endpoint_auth_method === 'none'
        ) {
          throw new errors.InvalidClientMetadata(
            'client_credentials requires an authenticated (confidential) client',
          );
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: deviceFlowFeature(),
      clientCredentials: { enabled: true },
      // RFC 9449: a token request with a DPoP proof gets tokens bound to its key (`cnf.jkt`,
      // `token_type` DPoP; public clients' refresh tokens too). oidc-provider's default, stated here.
      dPoP: { enabled: true },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may revoke only its own tokens.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client) => {
          if (isPublic(client)) {
            throw new errors.UnauthorizedClient(
              'introspection requires an authenticated confidential client',
            );
          }
          return true;
        },
      },
      registration: {
        enabled: registration,
        idFactory: newClientId,
        initialAccessToken: options.registration === 'initial-access-token',
      },
      registrationManagement: { enabled: registration, rotateRegistrationAccessToken: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? onlyResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator): Promise<ResourceServer> => {
          const resource = resources.get(indicator);
          if (resource === undefined) throw new errors.InvalidTarget();
          return {
            scope: Object.keys(resource.scopes).join(' '),
            audience: resource.resource,
            accessTokenTTL: resource.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  };
}
