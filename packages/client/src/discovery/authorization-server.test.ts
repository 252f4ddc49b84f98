import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata, cannedFetch, connectionRefused, json } from '../canned-fetch.test-helpers.js';
import {
  assertPkceS256,
  discoverAuthorizationServer,
  processAuthorizationServerMetadataResponse,
} from './authorization-server.js';
import {
  discoverLegacyAuthorizationServer,
  legacyAuthorizationServerMetadataUrl,
} from './legacy-authorization-server.js';

const ISSUER = 'https://auth.example.com/tenant1';
const OAUTH_INSERTED = 'https://auth.example.com/.well-known/oauth-authorization-server/tenant1';
const OIDC_INSERTED = 'https://auth.example.com/.well-known/openid-configuration/tenant1';
const OIDC_APPENDED = 'https://auth.example.com/tenant1/.well-known/openid-configuration';

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('discoverAuthorizationServer (MCP 2025-11-25 § AS Metadata Discovery order)', () => {
  it('uses RFC 8414 path insertion first', async () => {
    const fetch = cannedFetch({ [OAUTH_INSERTED]: () => json(asMetadata(ISSUER)) });
    const found = await discoverAuthorizationServer(ISSUER, { fetch });
    expect(found).toMatchObject({ issuer: ISSUER, url: OAUTH_INSERTED, legacy: false });
    expect(fetch.urls()).toEqual([OAUTH_INSERTED]);
  });

  it('then OIDC path insertion, then OIDC path appending', async () => {
    const fetch = cannedFetch({ [OIDC_APPENDED]: () => json(asMetadata(ISSUER)) });
    const found = await discoverAuthorizationServer(ISSUER, { fetch });
    expect(found.url).toBe(OIDC_APPENDED);
    expect(fetch.urls()).toEqual([OAUTH_INSERTED, OIDC_INSERTED, OIDC_APPENDED]);
  });

  it('for an issuer without a path: RFC 8414 then OIDC', async () => {
    const issuer = 'https://auth.example.com';
    const fetch = cannedFetch({
      'https://auth.example.com/.well-known/openid-configuration': () => json(asMetadata(issuer)),
    });
    const found = await discoverAuthorizationServer(issuer, { fetch });
    expect(fetch.urls()).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
    expect(found.issuer).toBe(issuer);
  });

  it('sends MCP-Protocol-Version when given', async () => {
    const fetch = cannedFetch({ [OAUTH_INSERTED]: () => json(asMetadata(ISSUER)) });
    await discoverAuthorizationServer(ISSUER, { fetch, protocolVersion: '2025-06-18' });
    expect(fetch.calls[0]?.init.headers['mcp-protocol-version']).toBe('2025-06-18');
  });

  it('refuses metadata whose issuer differs (mix-up), without trying the next URL', async () => {
    const fetch = cannedFetch({
      [OAUTH_INSERTED]: () => json(asMetadata('https://honest.example.com')),
      [OIDC_INSERTED]: () => json(asMetadata(ISSUER)),
    });
    const error = await rejection(discoverAuthorizationServer(ISSUER, { fetch }));
    expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
    expect(error.attribute).toBe('issuer');
    expect(fetch.urls()).toEqual([OAUTH_INSERTED]);
  });

  it('refuses metadata without code_challenge_methods_supported (MCP: refuse to proceed)', async () => {
    const fetch = cannedFetch({
      [OAUTH_INSERTED]: () => json(asMetadata(ISSUER, { code_challenge_methods_supported: undefined })),
    });
    const error = await rejection(discoverAuthorizationServer(ISSUER, { fetch }));
    expect(error.code).toBe('ERR_MISSING_ATTRIBUTE');
    expect(error.attribute).toBe('code_challenge_methods_supported');
    expect(error.message).toContain('code_challenge_methods_supported');
  });

  it('refuses metadata whose code_challenge_methods_supported lacks S256', async () => {
    const fetch = cannedFetch({
      [OAUTH_INSERTED]: () => json(asMetadata(ISSUER, { code_challenge_methods_supported: ['plain'] })),
    });
    const error = await rejection(discoverAuthorizationServer(ISSUER, { fetch }));
    expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
    expect(error.attribute).toBe('code_challenge_methods_supported');
    expect(error.actual).toEqual(['plain']);
  });

  it('rejects with ERR_INVALID_RESPONSE when every URL answers 4xx', async () => {
    const fetch = cannedFetch({});
    const error = await rejection(discoverAuthorizationServer(ISSUER, { fetch }));
    expect(error.code).toBe('ERR_INVALID_RESPONSE');
    expect(error.actual).toEqual([404, 404, 404]);
  });

  it('stops on a network failure, naming the URL', async () => {
    const fetch = cannedFetch({ [OAUTH_INSERTED]: () => connectionRefused() });
    const error = await rejection(discoverAuthorizationServer(ISSUER, { fetch }));
    expect(error.code).toBe('ERR_FETCH_FAILED');
    expect(error.message).toContain(OAUTH_INSERTED);
  });

  it('stops on a redirect (3xx is never followed)', async () => {
    const fetch = cannedFetch({
      [OAUTH_INSERTED]: () =>
        new Response(null, { status: 302, headers: { location: 'https://x.example/' } }),
    });
    const error = await rejection(discoverAuthorizationServer(ISSUER, { fetch }));
    expect(error.code).toBe('ERR_INVALID_RESPONSE');
    expect(error.actual).toBe(302);
  });
});

describe('processAuthorizationServerMetadataResponse', () => {
  it('returns the frozen metadata', async () => {
    const metadata = await processAuthorizationServerMetadataResponse(json(asMetadata(ISSUER)), {
      expectedIssuer: ISSUER,
    });
    expect(Object.isFrozen(metadata)).toBe(true);
    expect(metadata.token_endpoint).toBe(`${ISSUER}/token`);
  });

  it('compares the issuer exactly (a trailing slash is another issuer)', async () => {
    const error = await rejection(
      processAuthorizationServerMetadataResponse(json(asMetadata(`${ISSUER}/`)), { expectedIssuer: ISSUER }),
    );
    expect(error.attribute).toBe('issuer');
  });

  it('requires expectedIssuer', async () => {
    await expect(
      processAuthorizationServerMetadataResponse(json(asMetadata(ISSUER)), {} as { expectedIssuer: string }),
    ).rejects.toThrow(TypeError);
  });

  it('assertPkceS256 accepts a list with S256 among others', () => {
    expect(() =>
      assertPkceS256({
        issuer: ISSUER,
        token_endpoint: `${ISSUER}/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['plain', 'S256'],
      }),
    ).not.toThrow();
  });
});

describe('discoverLegacyAuthorizationServer (MCP 2025-03-26, legacy)', () => {
  const SERVER = 'https://legacy.example.com/v1/mcp';
  const ROOT = 'https://legacy.example.com/.well-known/oauth-authorization-server';

  it('fetches the origin root, dropping the MCP path, with MCP-Protocol-Version', async () => {
    expect(legacyAuthorizationServerMetadataUrl(SERVER)).toBe(ROOT);
    const fetch = cannedFetch({ [ROOT]: () => json(asMetadata('https://legacy.example.com')) });
    const found = await discoverLegacyAuthorizationServer(SERVER, { fetch, protocolVersion: '2025-03-26' });
    expect(found).toMatchObject({ issuer: 'https://legacy.example.com', url: ROOT, legacy: true });
    expect(fetch.urls()).toEqual([ROOT]);
    expect(fetch.calls[0]?.init.headers['mcp-protocol-version']).toBe('2025-03-26');
  });

  it('accepts the origin issuer written with a trailing slash', async () => {
    const fetch = cannedFetch({ [ROOT]: () => json(asMetadata('https://legacy.example.com/')) });
    const found = await discoverLegacyAuthorizationServer(SERVER, { fetch });
    expect(found.issuer).toBe('https://legacy.example.com/');
  });

  it('refuses root metadata of another issuer', async () => {
    const fetch = cannedFetch({ [ROOT]: () => json(asMetadata('https://other.example.com')) });
    const error = await rejection(discoverLegacyAuthorizationServer(SERVER, { fetch }));
    expect(error.attribute).toBe('issuer');
  });

  it('falls back to the default /authorize, /token, /register endpoints on a 404', async () => {
    const fetch = cannedFetch({});
    const found = await discoverLegacyAuthorizationServer(SERVER, { fetch });
    expect(found.legacy).toBe(true);
    expect(found.url).toBeUndefined();
    expect(found.metadata).toMatchObject({
      issuer: 'https://legacy.example.com',
      authorization_endpoint: 'https://legacy.example.com/authorize',
      token_endpoint: 'https://legacy.example.com/token',
      registration_endpoint: 'https://legacy.example.com/register',
      code_challenge_methods_supported: ['S256'],
    });
    expect(fetch.urls()).toEqual([ROOT]);
  });

  it('stops on a 5xx instead of assuming the defaults', async () => {
    const fetch = cannedFetch({ [ROOT]: () => new Response('down', { status: 503 }) });
    const error = await rejection(discoverLegacyAuthorizationServer(SERVER, { fetch }));
    expect(error.code).toBe('ERR_INVALID_RESPONSE');
  });
});
