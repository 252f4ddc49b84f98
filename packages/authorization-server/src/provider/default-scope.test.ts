import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { applyDefaultScope } from './default-scope.js';

/** The two things the validator reads of the provider's context: the params and the resolved resources. */
function context(scope: string | undefined, resources: Record<string, string[]>) {
  const params: { scope?: string } = scope === undefined ? {} : { scope };
  const resourceServers = Object.fromEntries(
    Object.entries(resources).map(([indicator, scopes]) => [indicator, { scopes: new Set(scopes) }]),
  );
  const ctx = { oidc: { params, resourceServers } } as unknown as KoaContextWithOIDC;
  return { ctx, params };
}

const client = (scope?: string) => ({ scope }) as unknown as Client;

describe('applyDefaultScope (RFC 6749 §3.3 default scope)', () => {
  it('sets every scope of the resolved resource when the request names none', () => {
    const { ctx, params } = context(undefined, { 'https://mcp.example/mcp': ['notes:read', 'notes:write'] });
    applyDefaultScope(ctx, undefined, client());
    expect(params.scope).toBe('notes:read notes:write');
  });

  it('narrows the default to the scopes the client registered', () => {
    const { ctx, params } = context(undefined, { 'https://mcp.example/mcp': ['notes:read', 'notes:write'] });
    applyDefaultScope(ctx, undefined, client('openid notes:read'));
    expect(params.scope).toBe('notes:read');
  });

  it('leaves a requested scope alone', () => {
    const { ctx, params } = context('notes:read', {
      'https://mcp.example/mcp': ['notes:read', 'notes:write'],
    });
    applyDefaultScope(ctx, 'notes:read', client());
    expect(params.scope).toBe('notes:read');
  });

  it('fails with invalid_scope when there is no resource to default to', () => {
    const { ctx, params } = context(undefined, {});
    expect(() => applyDefaultScope(ctx, undefined, client())).toThrow(errors.InvalidScope);
    expect(params.scope).toBeUndefined();
  });

  it('fails with invalid_scope when the client registered none of the resource scopes', () => {
    const { ctx } = context(undefined, { 'https://mcp.example/mcp': ['notes:read'] });
    expect(() => applyDefaultScope(ctx, undefined, client('openid'))).toThrow(errors.InvalidScope);
  });
});
