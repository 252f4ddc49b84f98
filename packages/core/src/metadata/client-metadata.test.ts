import { describe, expect, it } from 'vitest';
import { validateClientMetadata, validateClientRegistrationResponse } from './client-metadata.js';
import { expectInvalidField, thrown, withField } from './metadata.test-helpers.js';

const metadata = {
  redirect_uris: ['http://127.0.0.1:33418/callback', 'com.example.app:/oauth2redirect'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  client_name: 'Example MCP client',
  client_uri: 'https://client.example.com',
  logo_uri: 'https://client.example.com/logo.png',
  scope: 'files:read files:write',
  contacts: ['ops@client.example.com'],
  tos_uri: 'https://client.example.com/tos',
  policy_uri: 'https://client.example.com/privacy',
  software_id: '4NRB1-0XZABZI9E6-5SM3R',
  software_version: '2.1',
  application_type: 'native',
  'client_name#ja-Jpan-JP': 'クライアント名',
};

describe('validateClientMetadata (RFC 7591 §2)', () => {
  it('accepts valid metadata and keeps unknown fields', () => {
    const result = validateClientMetadata(metadata);
    expect(result).toEqual(metadata);
    expect(result['client_name#ja-Jpan-JP']).toBe('クライアント名');
    expect(Object.isFrozen(result)).toBe(true);
  });

  it('accepts an empty object (every field is optional)', () => {
    expect(validateClientMetadata({})).toEqual({});
  });

  it('accepts a jwks with keys', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
    expect(validateClientMetadata({ jwks }).jwks).toEqual(jwks);
  });

  it.each([
    ['redirect_uris', 'https://client.example.com/cb', /array of strings/],
    ['redirect_uris', ['https://client.example.com/cb#frag'], /entry 0 must not have a fragment/],
    ['redirect_uris', ['javascript:alert(1)'], /javascript/],
    ['redirect_uris', ['/relative/cb'], /absolute URL/],
    ['token_endpoint_auth_method', 1, /must be a string/],
    ['grant_types', 'authorization_code', /array of strings/],
    ['client_name', ['x'], /must be a string/],
    ['client_uri', 'javascript:alert(1)', /http or https/],
    ['logo_uri', 'data:image/png;base64,AAAA', /http or https/],
    ['scope', ['a', 'b'], /must be a string/],
    ['contacts', [1], /entry 0/],
    ['jwks_uri', 'http://client.example.com/jwks', /https/],
    ['jwks', [], /JSON object/],
    ['jwks', { keys: 'x' }, /JWK Set/],
    ['jwks', { keys: [1] }, /JWK Set/],
    ['application_type', 1, /must be a string/],
  ])('rejects %s = %j, naming the field', (field, value, message) => {
    expectInvalidField(
      () => validateClientMetadata({ ...metadata, [field]: value }),
      field,
      message,
      'client metadata',
    );
  });

  it('rejects jwks together with jwks_uri', () => {
    const error = thrown(() =>
      validateClientMetadata({ jwks_uri: 'https://client.example.com/jwks', jwks: { keys: [] } }),
    );
    expect(error.attribute).toBe('jwks');
  });
});

describe('validateClientRegistrationResponse (RFC 7591 §3.2.1)', () => {
  const response = {
    ...metadata,
    client_id: 's6BhdRkqt3',
    client_secret: 'cf136dc3c1fc93f31185e5885805d',
    client_id_issued_at: 2893256800,
    client_secret_expires_at: 0,
    registration_access_token: 'this.is.an.access.token.value.ffx83',
    registration_client_uri: 'https://server.example.com/connect/register?client_id=s6BhdRkqt3',
  };

  it('accepts a valid response from a real Response', async () => {
    const result = validateClientRegistrationResponse(await Response.json(response, { status: 201 }).json());
    expect(result).toEqual(response);
    expect(result.client_id).toBe('s6BhdRkqt3');
  });

  it('accepts a public client response without secret or management fields', () => {
    expect(
      validateClientRegistrationResponse({ client_id: 'abc', redirect_uris: ['http://localhost/cb'] }),
    ).toEqual({
      client_id: 'abc',
      redirect_uris: ['http://localhost/cb'],
    });
  });

  it.each([
    ['client_id', undefined, /is missing/],
    ['client_id', '', /must not be empty/],
    ['client_id', 42, /must be a string/],
    ['client_secret', 42, /must be a string/],
    ['client_id_issued_at', '2893256800', /non-negative integer/],
    ['client_id_issued_at', -1, /non-negative integer/],
    ['client_secret_expires_at', 1.5, /non-negative integer/],
    ['client_secret_expires_at', undefined, /required when a client_secret is issued/],
    ['registration_client_uri', 'not a url', /absolute URL/],
    ['registration_client_uri', undefined, /registration_access_token/],
    ['registration_access_token', undefined, /registration_client_uri/],
    ['redirect_uris', [42], /entry 0/],
  ])('rejects %s = %j, naming the field', (field, value, message) => {
    expectInvalidField(
      () => validateClientRegistrationResponse(withField(response, field, value)),
      field,
      message,
    );
  });

  it('never puts the client secret or the registration access token in an error', () => {
    const secret = 'super-secret-value';
    const bad = {
      ...response,
      client_secret: secret,
      registration_access_token: secret,
      client_id_issued_at: 'x',
    };
    const error = thrown(() => validateClientRegistrationResponse(bad));
    expect(
      JSON.stringify({ message: error.message, expected: error.expected, actual: error.actual }),
    ).not.toContain(secret);
    const typeError = thrown(() =>
      validateClientRegistrationResponse({ ...response, client_secret: [secret] }),
    );
    expect(String(typeError.actual)).not.toContain(secret);
  });
});
