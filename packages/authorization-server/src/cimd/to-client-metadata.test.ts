import { validateClientIdMetadataDocument } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { toClientMetadata } from './to-client-metadata.js';

const clientIdUrl = 'https://app.example.com/client.json';

function metadataOf(extra: Record<string, unknown>) {
  const document = validateClientIdMetadataDocument(
    { client_id: clientIdUrl, client_name: 'App', redirect_uris: ['http://127.0.0.1:3000/cb'], ...extra },
    { clientIdUrl },
  );
  return toClientMetadata(document);
}

describe('toClientMetadata', () => {
  it('makes a public native client for loopback redirect URIs, code flow with refresh tokens', () => {
    expect(metadataOf({ logo_uri: 'https://app.example.com/logo.png', scope: 'admin' })).toEqual({
      client_id: clientIdUrl,
      client_name: 'App',
      redirect_uris: ['http://127.0.0.1:3000/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
  });

  it('makes a web client when every redirect URI is https on a public host', () => {
    expect(metadataOf({ redirect_uris: ['https://app.example.com/cb'] }).application_type).toBe('web');
    expect(metadataOf({ redirect_uris: ['https://localhost/cb'] }).application_type).toBe('native');
  });

  it('keeps only the grants a CIMD client may use, and requires authorization_code', () => {
    expect(metadataOf({ grant_types: ['authorization_code', 'client_credentials'] }).grant_types).toEqual([
      'authorization_code',
    ]);
    expect(() => metadataOf({ grant_types: ['client_credentials'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_METADATA', attribute: 'grant_types' }),
    );
  });

  it('uses private_key_jwt with the document keys (CIMD §6.2)', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
    const metadata = metadataOf({ token_endpoint_auth_method: 'private_key_jwt', jwks });
    expect(metadata.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(metadata.jwks).toEqual(jwks);
    const plural = metadataOf({
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      jwks_uri: 'https://app.example.com/jwks.json',
    });
    expect(plural.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(plural.jwks_uri).toBe('https://app.example.com/jwks.json');
  });
});
