import { describe, expect, it } from 'vitest';
import {
  isClientIdMetadataDocumentUrl,
  validateClientIdMetadataDocument,
} from './client-id-metadata-document.js';
import { expectInvalidField, thrown, withField } from './metadata.test-helpers.js';

const clientIdUrl = 'https://app.example.com/oauth/client-metadata.json';
const valid = {
  client_id: clientIdUrl,
  client_name: 'Example MCP Client',
  client_uri: 'https://app.example.com',
  logo_uri: 'https://app.example.com/logo.png',
  redirect_uris: ['http://127.0.0.1:3000/callback', 'http://localhost:3000/callback'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  x_extension: 'kept',
};

describe('validateClientIdMetadataDocument (CIMD draft §4, MCP 2025-11-25)', () => {
  it('accepts a valid document from a real Response and keeps unknown fields', async () => {
    const document = validateClientIdMetadataDocument(await Response.json(valid).json(), { clientIdUrl });
    expect(document).toEqual(valid);
    expect(Object.isFrozen(document)).toBe(true);
  });

  it('accepts a document without token_endpoint_auth_method (a public client)', () => {
    const { token_endpoint_auth_method: _, ...rest } = valid;
    expect(
      validateClientIdMetadataDocument(rest, { clientIdUrl }).token_endpoint_auth_method,
    ).toBeUndefined();
  });

  it('accepts private_key_jwt with a jwks_uri or jwks', () => {
    const withUri = {
      ...valid,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://app.example.com/jwks',
    };
    expect(validateClientIdMetadataDocument(withUri, { clientIdUrl }).jwks_uri).toBe(
      'https://app.example.com/jwks',
    );
    const withKeys = {
      ...valid,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC' }] },
    };
    expect(validateClientIdMetadataDocument(withKeys, { clientIdUrl }).jwks).toEqual({
      keys: [{ kty: 'EC' }],
    });
  });

  it('rejects a client_id that is not exactly the document URL (ERR_UNEXPECTED_VALUE)', () => {
    for (const clientId of [
      'https://app.example.com/oauth/client-metadata.json/',
      'https://APP.example.com/oauth/client-metadata.json',
      'https://evil.example/oauth/client-metadata.json',
    ]) {
      const error = thrown(() =>
        validateClientIdMetadataDocument({ ...valid, client_id: clientId }, { clientIdUrl }),
      );
      expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
      expect(error.attribute).toBe('client_id');
      expect(error.expected).toBe(clientIdUrl);
      expect(error.actual).toBe(clientId);
    }
  });

  it.each(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'tls_client_auth'])(
    'rejects token_endpoint_auth_method %s',
    (method) => {
      const error = thrown(() =>
        validateClientIdMetadataDocument({ ...valid, token_endpoint_auth_method: method }, { clientIdUrl }),
      );
      expect(error.code).toBe('ERR_INVALID_METADATA');
      expect(error.attribute).toBe('token_endpoint_auth_method');
      expect(error.message).toMatch(/shared secret/);
    },
  );

  it('holds token_endpoint_auth_methods_supported (SEP-3149) to the same rule', () => {
    const error = thrown(() =>
      validateClientIdMetadataDocument(
        { ...valid, token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'] },
        { clientIdUrl },
      ),
    );
    expect(error.attribute).toBe('token_endpoint_auth_methods_supported');
  });

  it.each([
    ['client_secret', 'shh'],
    ['client_secret_expires_at', 0],
  ])('rejects a document with %s, without echoing it', (field, value) => {
    const error = thrown(() =>
      validateClientIdMetadataDocument({ ...valid, [field]: value }, { clientIdUrl }),
    );
    expect(error.code).toBe('ERR_INVALID_METADATA');
    expect(error.attribute).toBe(field);
    expect(error.actual).toBe('present');
    expect(error.message).not.toContain('shh');
  });

  it.each([
    ['client_id', undefined, /is missing/],
    ['client_id', 1, /must be a string/],
    ['redirect_uris', undefined, /is missing/],
    ['redirect_uris', [], /must not be empty/],
    ['redirect_uris', ['https://app.example.com/cb#x'], /fragment/],
    ['client_name', undefined, /is missing/],
    ['client_name', '', /must not be empty/],
    ['client_name', 5, /must be a string/],
    ['logo_uri', 'javascript:alert(1)', /http or https/],
    ['token_endpoint_auth_method', 5, /must be a string/],
  ])('rejects %s = %j, naming the field', (field, value, message) => {
    const document = withField(valid, field, value);
    expectInvalidField(
      () => validateClientIdMetadataDocument(document, { clientIdUrl }),
      field,
      message,
      'client ID metadata document',
    );
  });

  it('rejects private_key_jwt without keys', () => {
    const error = thrown(() =>
      validateClientIdMetadataDocument(
        { ...valid, token_endpoint_auth_method: 'private_key_jwt' },
        { clientIdUrl },
      ),
    );
    expect(error.attribute).toBe('jwks_uri');
  });

  it('requires clientIdUrl (misuse)', () => {
    expect(() => validateClientIdMetadataDocument(valid, {} as unknown as { clientIdUrl: string })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_MISSING_OPTION' }),
    );
  });
});

describe('isClientIdMetadataDocumentUrl (CIMD draft §3)', () => {
  it.each([
    'https://app.example.com/oauth/client.json',
    'https://app.example.com:8443/client',
    'https://app.example.com/client?version=2',
  ])('accepts %s', (url) => {
    expect(isClientIdMetadataDocumentUrl(url)).toBe(true);
  });

  it.each([
    ['no path', 'https://app.example.com'],
    ['the root path', 'https://app.example.com/'],
    ['http', 'http://app.example.com/client.json'],
    ['loopback http without the opt-in', 'http://127.0.0.1:3000/client.json'],
    ['a fragment', 'https://app.example.com/client.json#x'],
    ['a username', 'https://user@app.example.com/client.json'],
    ['a dot segment', 'https://app.example.com/a/./client.json'],
    ['a double-dot segment', 'https://app.example.com/a/../client.json'],
    ['an encoded double-dot segment', 'https://app.example.com/a/%2E%2e/client.json'],
    ['a relative URL', '/client.json'],
    ['another scheme', 'urn:example:client'],
  ])('rejects %s', (_name, url) => {
    expect(isClientIdMetadataDocumentUrl(url)).toBe(false);
  });

  it('accepts loopback http only with dangerouslyAllowLoopbackHttp', () => {
    const url = 'http://127.0.0.1:3000/client.json';
    expect(isClientIdMetadataDocumentUrl(url, { dangerouslyAllowLoopbackHttp: true })).toBe(true);
    expect(
      isClientIdMetadataDocumentUrl('http://app.example.com/c', { dangerouslyAllowLoopbackHttp: true }),
    ).toBe(false);
  });
});
