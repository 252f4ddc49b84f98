import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata, cannedFetch, json } from '../canned-fetch.test-helpers.js';
import { discover } from './discover.js';

const SERVER = 'https://mcp.example.com/mcp';
const PRM_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const PRM_ROOT = 'https://mcp.example.com/.well-known/oauth-protected-resource';
const AS1 = 'https://auth.example.com';
const AS2 = 'https://other-auth.example.com';
const AS1_META = 'https://auth.example.com/.well-known/oauth-authorization-server';
const AS2_META = 'https://other-auth.example.com/.well-known/oauth-authorization-server';
const LEGACY_ROOT = 'https://mcp.example.com/.well-known/oauth-authorization-server';

function challenge401(header: string): Response {
  return new Response(null, { status: 401, headers: { 'www-authenticate': header } });
}

describe('discover (MCP 2026-07-28 client algorithm steps 1-6)', () => {
  it('goes from a 401 challenge to PRM to the first authorization server, with challenged scopes', async () => {
    const fetch = cannedFetch({
      [PRM_URL]: () => json({ resource: SERVER, authorization_servers: [AS1, AS2] }),
      [AS1_META]: () => json(asMetadata(AS1)),
      [AS2_META]: () => json(asMetadata(AS2)),
    });
    const found = await discover('https://MCP.example.com/mcp/', {
      fetch,
      challenge: challenge401(`Bearer resource_metadata="${PRM_URL}", scope="files:read files:write"`),
      protocolVersion: '2025-11-25',
    });
    expect(found.resource).toBe(SERVER);
    expect(found.protectedResource?.url).toBe(PRM_URL);
    expect(found.authorizationServer).toMatchObject({ issuer: AS1, legacy: false, url: AS1_META });
    expect(found.challengedScopes).toEqual(['files:read', 'files:write']);
    expect(fetch.urls()).toEqual([PRM_URL, AS1_META]);
    for (const call of fetch.calls) expect(call.init.headers['mcp-protocol-version']).toBe('2025-11-25');
  });

  it('accepts an already-read challenge and omits challengedScopes without scope', async () => {
    const fetch = cannedFetch({
      [PRM_ROOT]: () => json({ resource: SERVER, authorization_servers: [AS1] }),
      [AS1_META]: () => json(asMetadata(AS1)),
    });
    const found = await discover(SERVER, { fetch, challenge: { error: 'invalid_token' } });
    expect(found.protectedResource?.url).toBe(PRM_ROOT);
    expect(found).not.toHaveProperty('challengedScopes');
  });

  it('lets the caller choose among authorization_servers', async () => {
    const fetch = cannedFetch({
      [PRM_URL]: () => json({ resource: SERVER, authorization_servers: [AS1, AS2] }),
      [AS2_META]: () => json(asMetadata(AS2)),
    });
    const found = await discover(SERVER, { fetch, selectAuthorizationServer: (issuers) => issuers[1]! });
    expect(found.authorizationServer.issuer).toBe(AS2);
    await expect(
      discover(SERVER, { fetch, selectAuthorizationServer: () => 'https://x.example' }),
    ).rejects.toThrow(TypeError);
  });

  it('requests the resource exactly as the PRM publishes it (the origin, from the root URL)', async () => {
    const fetch = cannedFetch({
      [PRM_ROOT]: () => json({ resource: 'https://mcp.example.com', authorization_servers: [AS1] }),
      [AS1_META]: () => json(asMetadata(AS1)),
    });
    const found = await discover(SERVER, { fetch });
    expect(found.resource).toBe('https://mcp.example.com');
    expect(found.protectedResource?.url).toBe(PRM_ROOT);
  });

  it('stops when the PRM is for another resource', async () => {
    const fetch = cannedFetch({
      [PRM_URL]: () => json({ resource: 'https://mcp.example.com/other', authorization_servers: [AS1] }),
    });
    const error = await discover(SERVER, { fetch }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).attribute).toBe('resource');
    expect(fetch.urls()).toEqual([PRM_URL]);
  });

  it('falls back to 2025-03-26 discovery when the server has no PRM at all (legacy: true)', async () => {
    const fetch = cannedFetch({ [LEGACY_ROOT]: () => json(asMetadata('https://mcp.example.com')) });
    const found = await discover(SERVER, {
      fetch,
      challenge: challenge401('Bearer'),
      protocolVersion: '2025-03-26',
    });
    expect(found.protectedResource).toBeUndefined();
    expect(found.authorizationServer).toMatchObject({ issuer: 'https://mcp.example.com', legacy: true });
    expect(fetch.urls()).toEqual([PRM_URL, PRM_ROOT, LEGACY_ROOT]);
    expect(fetch.calls.every((call) => call.init.headers['mcp-protocol-version'] === '2025-03-26')).toBe(
      true,
    );
  });

  it('accepts a legacy document whose issuer is of the same origin with a path, not of another origin', async () => {
    const mounted = cannedFetch({ [LEGACY_ROOT]: () => json(asMetadata('https://mcp.example.com/oauth')) });
    const found = await discover(SERVER, { fetch: mounted });
    expect(found.authorizationServer).toMatchObject({
      issuer: 'https://mcp.example.com/oauth',
      legacy: true,
    });
    const foreign = cannedFetch({ [LEGACY_ROOT]: () => json(asMetadata('https://auth.example.com/oauth')) });
    const error = await discover(SERVER, { fetch: foreign }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).attribute).toBe('issuer');
  });

  it('uses the default endpoints when the legacy server has no metadata either', async () => {
    const found = await discover(SERVER, { fetch: cannedFetch({}) });
    expect(found.authorizationServer.legacy).toBe(true);
    expect(found.authorizationServer.url).toBeUndefined();
    expect(found.authorizationServer.metadata.token_endpoint).toBe('https://mcp.example.com/token');
  });

  it('does not fall back when legacyFallback is false', async () => {
    const error = await discover(SERVER, { fetch: cannedFetch({}), legacyFallback: false }).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).attribute).toBe('resource_metadata');
  });

  it('does not fall back when the challenge named a resource_metadata URL (a modern server)', async () => {
    const fetch = cannedFetch({});
    const error = await discover(SERVER, {
      fetch,
      challenge: challenge401(`Bearer resource_metadata="https://mcp.example.com/prm"`),
    }).catch((reason: unknown) => reason);
    expect((error as ProtocolError).code).toBe('ERR_MISSING_ATTRIBUTE');
    expect(fetch.urls()).toEqual(['https://mcp.example.com/prm', PRM_URL, PRM_ROOT]);
  });

  it('refuses unknown options and a misspelt safeFetch policy option as misuse, never as a network error', async () => {
    const misspelt = { fetch: cannedFetch({}), legacyFalback: false } as unknown as Parameters<
      typeof discover
    >[1];
    await expect(discover(SERVER, misspelt)).rejects.toThrow(/unknown option "legacyFalback"/);
    const badPolicy = { policy: { allowLoopbak: true } } as unknown as Parameters<typeof discover>[1];
    const error = await discover(SERVER, badPolicy).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('refuses a server URL that is not a valid MCP server URL (misuse)', async () => {
    await expect(discover('http://mcp.example.com/mcp', { fetch: cannedFetch({}) })).rejects.toThrow(
      TypeError,
    );
  });
});
