import { describe, expect, it } from 'vitest';
import { validateAuthorizationServerMetadata } from './authorization-server-metadata.js';
import { expectInvalidField, thrown, withField } from './metadata.test-helpers.js';

const issuer = 'https://auth.example.com/tenant1';
const valid = {
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  registration_endpoint: `${issuer}/register`,
  jwks_uri: `${issuer}/jwks`,
  scopes_supported: ['openid', 'files:read'],
  response_types_supported: ['code'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
  revocation_endpoint: `${issuer}/revoke`,
  introspection_endpoint: `${issuer}/introspect`,
  device_authorization_endpoint: `${issuer}/device`,
  authorization_response_iss_parameter_supported: true,
  client_id_metadata_document_supported: true,
  userinfo_endpoint: `${issuer}/me`,
  x_extension: [1, 2, 3],
};

describe('validateAuthorizationServerMetadata (RFC 8414 §2, §3.3)', () => {
  it('accepts a valid document and keeps unknown fields', () => {
    const metadata = validateAuthorizationServerMetadata(valid, { expectedIssuer: issuer });
    expect(metadata).toEqual(valid);
    expect(metadata.x_extension).toEqual([1, 2, 3]);
    expect(Object.isFrozen(metadata)).toBe(true);
  });

  it('accepts a minimal document and a loopback http issuer', async () => {
    const local = 'http://127.0.0.1:9000/oauth';
    const response = Response.json({
      issuer: local,
      token_endpoint: `${local}/token`,
      response_types_supported: [],
    });
    const metadata = validateAuthorizationServerMetadata(await response.json(), { expectedIssuer: local });
    expect(metadata.code_challenge_methods_supported).toBeUndefined();
  });

  it('rejects an issuer that is not identical to the expected one (RFC 8414 §3.3, MCP 2026-07-28)', () => {
    for (const expectedIssuer of [
      'https://honest.example',
      `${issuer}/`,
      'https://AUTH.example.com/tenant1',
    ]) {
      const error = thrown(() => validateAuthorizationServerMetadata(valid, { expectedIssuer }));
      expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
      expect(error.attribute).toBe('issuer');
      expect(error.expected).toBe(expectedIssuer);
      expect(error.actual).toBe(issuer);
    }
  });

  it('rejects a document that claims another issuer than the one it was fetched for', () => {
    const forged = { ...valid, issuer: 'https://honest.example' };
    const error = thrown(() =>
      validateAuthorizationServerMetadata(forged, { expectedIssuer: 'https://attacker.example' }),
    );
    expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
  });

  it.each([
    ['issuer', undefined, /is missing/],
    ['issuer', 1, /must be a string/],
    ['issuer', `${issuer}?x=1`, /query/],
    ['issuer', `${issuer}#x`, /fragment/],
    ['issuer', 'http://auth.example.com/tenant1', /https/],
    ['token_endpoint', undefined, /is missing/],
    ['token_endpoint', 'http://auth.example.com/token', /https/],
    ['token_endpoint', ['https://x'], /must be a string/],
    ['response_types_supported', undefined, /is missing/],
    ['response_types_supported', 'code', /array of strings/],
    ['authorization_endpoint', 'not a url', /absolute URL/],
    ['registration_endpoint', 5, /must be a string/],
    ['jwks_uri', 'ftp://auth.example.com/jwks', /https/],
    ['code_challenge_methods_supported', 'S256', /array of strings/],
    ['grant_types_supported', [null], /entry 0/],
    ['authorization_response_iss_parameter_supported', 'true', /boolean/],
    ['client_id_metadata_document_supported', 1, /boolean/],
    ['revocation_endpoint', 'http://evil.example/revoke', /https/],
    ['introspection_endpoint', {}, /must be a string/],
    ['device_authorization_endpoint', 'x', /absolute URL/],
    ['service_documentation', 'data:text/html,x', /http or https/],
  ])('rejects %s = %j, naming the field', (field, value, message) => {
    const document = withField(valid, field, value);
    expectInvalidField(
      () => validateAuthorizationServerMetadata(document, { expectedIssuer: issuer }),
      field,
      message,
      'authorization server metadata',
    );
  });

  it('requires expectedIssuer (misuse)', () => {
    expect(() =>
      validateAuthorizationServerMetadata(valid, {} as unknown as { expectedIssuer: string }),
    ).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_MISSING_OPTION' }));
  });

  it('rejects a value that is not a JSON object', () => {
    const error = thrown(() => validateAuthorizationServerMetadata('{}', { expectedIssuer: issuer }));
    expect(error.code).toBe('ERR_INVALID_METADATA');
    expect(error.actual).toBe('string');
  });
});
