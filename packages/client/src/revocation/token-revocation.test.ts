import { type AuthorizationServerMetadata, OAuthError, ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import type { ClientFetch, ClientRequestInit } from '../http.js';
import { processRevocationResponse, revocationEndpoint, revocationRequest } from './token-revocation.js';

const metadata = {
  issuer: 'https://as.example.com',
  authorization_endpoint: 'https://as.example.com/authorize',
  token_endpoint: 'https://as.example.com/token',
  revocation_endpoint: 'https://as.example.com/revoke',
  revocation_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
  response_types_supported: ['code'],
} as AuthorizationServerMetadata;

function recordingFetch(response: () => Response) {
  const calls: { url: string; init: ClientRequestInit }[] = [];
  const fetch: ClientFetch = async (url, init) => {
    calls.push({ url, init });
    return response();
  };
  return { fetch, calls };
}

describe('revocationRequest', () => {
  it('posts the token and its hint to the revocation endpoint, authenticated as the client', async () => {
    const { fetch, calls } = recordingFetch(() => new Response(null, { status: 200 }));
    const response = await revocationRequest(
      metadata,
      { clientId: 'c1', clientSecret: 's3cret' },
      { token: 'rt-value', tokenTypeHint: 'refresh_token' },
      { fetch },
    );
    await processRevocationResponse(response);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://as.example.com/revoke');
    const body = new URLSearchParams(calls[0]?.init.body);
    expect(Object.fromEntries(body)).toEqual({
      token: 'rt-value',
      token_type_hint: 'refresh_token',
      client_id: 'c1',
      client_secret: 's3cret', // client_secret_post: the revocation endpoint's advertised method
    });
    expect(calls[0]?.init.headers.authorization).toBeUndefined();
  });

  it('a public client sends its client_id only', async () => {
    const { fetch, calls } = recordingFetch(() => new Response(null, { status: 200 }));
    await revocationRequest(
      metadata,
      { clientId: 'pub', tokenEndpointAuthMethod: 'none' },
      { token: 't' },
      { fetch },
    );
    expect(Object.fromEntries(new URLSearchParams(calls[0]?.init.body))).toEqual({
      token: 't',
      client_id: 'pub',
    });
  });

  it('refuses metadata without an https revocation endpoint, and an empty token', () => {
    const { fetch } = recordingFetch(() => new Response(null));
    const { revocation_endpoint: _, ...without } = metadata;
    expect(() => revocationRequest(without, { clientId: 'c' }, { token: 't' }, { fetch })).toThrow(TypeError);
    const http = { ...metadata, revocation_endpoint: 'http://as.example.com/revoke' };
    expect(revocationEndpoint(http)).toBeUndefined();
    expect(revocationEndpoint({ ...metadata, revocation_endpoint: 'http://127.0.0.1:9/revoke' })).toBe(
      'http://127.0.0.1:9/revoke',
    );
    expect(() => revocationRequest(metadata, { clientId: 'c' }, { token: '' }, { fetch })).toThrow(TypeError);
  });
});

describe('processRevocationResponse', () => {
  it('turns an RFC 6749 error body into an OAuthError, anything else into a ProtocolError', async () => {
    const oauth = await processRevocationResponse(
      Response.json({ error: 'unsupported_token_type' }, { status: 400 }),
    ).catch((error: unknown) => error);
    expect(oauth).toBeInstanceOf(OAuthError);
    expect((oauth as OAuthError).error).toBe('unsupported_token_type');
    await expect(processRevocationResponse(new Response('oops', { status: 400 }))).rejects.toBeInstanceOf(
      ProtocolError,
    );
    await expect(processRevocationResponse(new Response('down', { status: 503 }))).rejects.toBeInstanceOf(
      ProtocolError,
    );
  });
});
