/**
 * Turns an oidc-provider interaction (prompt `consent`) into the consent page: which client, which
 * resources (RFC 8707 `resource`) and which scopes are asked for, with the descriptions configured
 * for each resource. It reads only `prompt.details` (`missingOIDCScope`, `missingResourceScopes`)
 * and `params` (`client_id`, `redirect_uri`, `resource`, `scope`), narrowing each as `unknown`.
 */
import { isClientIdMetadataDocumentUrl, isLoopbackHostname } from '@gatehouse/core';
import type Provider from 'oidc-provider';
import { type ConsentResource, type ConsentScope, renderConsent } from './views/consent.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Descriptions of the OpenID Connect scopes the provider may ask for. */
const OIDC_SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know which account you signed in with.',
  offline_access: 'Keep access when you are not using the application (until you revoke it).',
};

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The host of a client_id that is a Client ID Metadata Document URL (https with a path; http only on
 * a loopback host, which the server accepts only with `cimd.dangerouslyAllowLoopback`), else undefined.
 */
export function clientIdHost(clientId: string): string | undefined {
  if (!isClientIdMetadataDocumentUrl(clientId, { dangerouslyAllowLoopbackHttp: true })) return undefined;
  const url = URL.parse(clientId);
  return url === null ? undefined : url.host;
}

/** The host the browser returns to: `host[:port]` of an http(s) redirect URI, or the app scheme. */
export function redirectHost(redirectUri: unknown): string | undefined {
  if (typeof redirectUri !== 'string') return undefined;
  const url = URL.parse(redirectUri);
  if (url === null) return undefined;
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : url.protocol;
}

/** True when the redirect URI points at this computer (http(s) on a loopback host). */
export function isLocalRedirect(redirectUri: unknown): boolean {
  if (typeof redirectUri !== 'string') return false;
  const url = URL.parse(redirectUri);
  return (
    url !== null &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    isLoopbackHostname(url.hostname)
  );
}

/** Inputs of {@link buildConsentView}. */
export interface ConsentInputs {
  readonly interaction: Interaction;
  readonly client: { readonly clientId: string; readonly clientName: string | undefined };
  readonly username: string | undefined;
  readonly resources: ReadonlyMap<string, { scopes: Record<string, string>; name?: string }>;
  readonly approveAction: string;
  readonly denyAction: string;
  readonly csrf: string;
}

/** Renders the consent page for an interaction. */
export function buildConsentView(inputs: ConsentInputs): string {
  const { interaction, resources } = inputs;
  const details = interaction.prompt.details;

  // Show everything the request asks for: the scopes not granted yet (prompt details) and those
  // granted before (a native client is asked again each time, RFC 8252 §8.6).
  const requested = strings(interaction.params.scope)
    .flatMap((scope) => scope.split(' '))
    .filter(Boolean);
  // oidc-provider also lists resource scopes among the missing OIDC scopes: show those under their
  // resource only, and under "Account" just the scopes that belong to no resource.
  const resourceScopes = new Set([...resources.values()].flatMap((entry) => Object.keys(entry.scopes)));
  const oidcScopes = new Set(
    [
      ...strings(details.missingOIDCScope),
      ...requested.filter((scope) => Object.hasOwn(OIDC_SCOPE_DESCRIPTIONS, scope)),
    ].filter((scope) => !resourceScopes.has(scope)),
  );
  const scopes: ConsentScope[] = [...oidcScopes].map((scope) => ({
    scope,
    description: OIDC_SCOPE_DESCRIPTIONS[scope],
  }));

  const missing = details.missingResourceScopes;
  const byResource = new Map<string, Set<string>>();
  for (const url of strings(interaction.params.resource)) byResource.set(url, new Set());
  if (typeof missing === 'object' && missing !== null) {
    for (const [url, list] of Object.entries(missing)) byResource.set(url, new Set(strings(list)));
  }
  // The provider's default resource when the request names none and exactly one is configured.
  if (byResource.size === 0 && resources.size === 1)
    byResource.set([...resources.keys()][0] as string, new Set());
  const resourceList: ConsentResource[] = [...byResource].map(([url, set]) => {
    const configured = resources.get(url);
    for (const scope of requested) {
      if (configured !== undefined && Object.hasOwn(configured.scopes, scope)) set.add(scope);
    }
    return {
      url,
      name: configured?.name,
      scopes: [...set].map((scope) => ({
        scope,
        description:
          configured !== undefined && Object.hasOwn(configured.scopes, scope)
            ? configured.scopes[scope]
            : undefined,
      })),
    };
  });

  const cimdHost = clientIdHost(inputs.client.clientId);
  return renderConsent({
    approveAction: inputs.approveAction,
    denyAction: inputs.denyAction,
    csrf: inputs.csrf,
    clientId: inputs.client.clientId,
    clientName: inputs.client.clientName,
    clientIdHost: cimdHost,
    // MCP "Localhost Redirect URI Risks": a CIMD client sending the browser to this computer could be
    // any local program using that site's client_id.
    localRedirectWarning: cimdHost !== undefined && isLocalRedirect(interaction.params.redirect_uri),
    redirectHost: redirectHost(interaction.params.redirect_uri),
    username: inputs.username,
    scopes,
    resources: resourceList,
  });
}
