/**
 * The default scope of an authorization request that names none (RFC 6749 §3.3: "If the client
 * omits the scope parameter when requesting authorization, the authorization server MUST either
 * process the request using a pre-defined default value or fail the request indicating an invalid
 * scope").
 *
 * MCP clients omit `scope` when neither the `WWW-Authenticate` challenge nor the Protected Resource
 * Metadata names one (MCP requirements C13). Without a default, oidc-provider would show the
 * consent page for nothing and then end the request with `access_denied`.
 */
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

/**
 * An `extraParams.scope` validator of the provider configuration (run by the authorization,
 * device authorization and pushed authorization request endpoints after the resource indicators
 * are resolved). When the request has no `scope`, it sets every scope of the requested (or
 * default) resources, narrowed to the client's registered `scope` when it registered one; the
 * consent page then lists them. With no scope to default to (no resource, or none of its scopes
 * registered by the client) the request fails with `invalid_scope`.
 *
 * It does NOT change a request that names a scope, and does NOT add `openid` or `offline_access`.
 */
export function applyDefaultScope(ctx: KoaContextWithOIDC, _value: string | undefined, client: Client): void {
  const params = ctx.oidc.params as { scope?: unknown } | undefined;
  if (params === undefined || (typeof params.scope === 'string' && params.scope !== '')) return;
  const allowed = typeof client.scope === 'string' ? new Set(client.scope.split(' ')) : undefined;
  const scopes = new Set<string>();
  for (const resourceServer of Object.values(ctx.oidc.resourceServers ?? {})) {
    for (const scope of resourceServer.scopes)
      if (allowed === undefined || allowed.has(scope)) scopes.add(scope);
  }
  if (scopes.size === 0) {
    throw new errors.InvalidScope('"scope" is required when the request has no resource to default to', '');
  }
  params.scope = [...scopes].join(' ');
}
