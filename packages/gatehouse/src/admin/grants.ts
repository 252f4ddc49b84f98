/**
 * Grants (a user's consent to one client, oidc-provider's `Grant` model) as the admin commands see
 * them: listed from the storage, revoked together with every token issued under them.
 */
import { GRANT_TOKEN_MODELS, type ModelPayload, type Storage } from '@gatehouse/authorization-server';

/** What `gatehouse grants list` shows of a grant: no token values, only ids, scopes and times. */
export interface GrantSummary {
  readonly id: string;
  readonly accountId: string | undefined;
  readonly clientId: string | undefined;
  /** The granted scopes: OpenID scopes and every resource's scopes, minus rejected ones, sorted. */
  readonly scopes: readonly string[];
  /** The resources (RFC 8707) the grant covers. */
  readonly resources: readonly string[];
  /** When the grant was made (epoch seconds), if recorded. */
  readonly createdAt: number | undefined;
  /** When it expires (epoch seconds), or null for never. */
  readonly expiresAt: number | null;
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

function resourceScopes(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const scopes: Record<string, string> = {};
  for (const [resource, scope] of Object.entries(value))
    if (typeof scope === 'string') scopes[resource] = scope;
  return scopes;
}

function openidScope(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? (value as { scope?: unknown }).scope : undefined;
}

/** Summarises a stored Grant payload (shape of oidc-provider 9's `Grant` model). */
export function summarizeGrant(id: string, payload: ModelPayload, expiresAt: number | null): GrantSummary {
  const resources = resourceScopes(payload.resources);
  const rejected = payload.rejected as { openid?: unknown; resources?: unknown } | undefined;
  const rejectedResources = resourceScopes(rejected?.resources);
  const scopes = new Set(words(openidScope(payload.openid)));
  for (const scope of words(openidScope(rejected?.openid))) if (scope !== 'openid') scopes.delete(scope);
  for (const [resource, scope] of Object.entries(resources)) {
    const refused = new Set(words(rejectedResources[resource]));
    for (const word of words(scope)) if (!refused.has(word)) scopes.add(word);
  }
  return {
    id,
    accountId: typeof payload.accountId === 'string' ? payload.accountId : undefined,
    clientId: typeof payload.clientId === 'string' ? payload.clientId : undefined,
    scopes: [...scopes].sort(),
    resources: Object.keys(resources).sort(),
    createdAt: typeof payload.iat === 'number' ? payload.iat : undefined,
    expiresAt: typeof payload.exp === 'number' ? payload.exp : expiresAt,
  };
}

/** Every live grant, oldest first. */
export async function listGrants(storage: Storage): Promise<GrantSummary[]> {
  const records = await storage.model('Grant').list();
  return records
    .map((record) => summarizeGrant(record.id, record.payload, record.expiresAt))
    .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || (a.id < b.id ? -1 : 1));
}

/**
 * Revokes a grant: destroys every token and code issued under it ({@link GRANT_TOKEN_MODELS}),
 * then the Grant record. A running server refuses them from its next lookup (access tokens are JWTs
 * that resource servers verify locally: they stay valid until they expire, 10 minutes by default).
 * Resolves false when no such grant exists (tokens of that grant id are still revoked).
 */
export async function revokeGrant(storage: Storage, grantId: string): Promise<boolean> {
  const grant = storage.model('Grant');
  const existed = (await grant.find(grantId)) !== undefined;
  for (const model of GRANT_TOKEN_MODELS) await storage.model(model).revokeByGrantId(grantId);
  await grant.destroy(grantId);
  return existed;
}
