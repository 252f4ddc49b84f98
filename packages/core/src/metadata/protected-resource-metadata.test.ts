import { describe, expect, it } from 'vitest';
import { expectInvalidField, thrown, withField } from './metadata.test-helpers.js';
import { validateProtectedResourceMetadata } from './protected-resource-metadata.js';

const resource = 'https://mcp.example.com/mcp';
const valid = {
  resource,
  authorization_servers: ['https://auth.example.com/tenant1'],
  scopes_supported: ['files:read', 'files:write'],
  bearer_methods_supported: ['header'],
  jwks_uri: 'https://mcp.example.com/jwks.json',
  resource_name: 'Example files',
  resource_documentation: 'https://mcp.example.com/docs',
  'resource_name#fr': 'Fichiers',
  x_vendor_extension: { anything: true },
};

describe('validateProtectedResourceMetadata (RFC 9728 §2, §3.3)', () => {
  it('accepts a valid document, keeps unknown fields, and freezes the result', () => {
    const prm = validateProtectedResourceMetadata(valid, { expectedResource: resource });
    expect(prm).toEqual(valid);
    expect(prm['resource_name#fr']).toBe('Fichiers');
    expect(prm.x_vendor_extension).toEqual({ anything: true });
    expect(Object.isFrozen(prm)).toBe(true);
    expect(Object.isFrozen(prm.authorization_servers)).toBe(true);
    expect(prm).not.toBe(valid);
  });

  it('accepts a document parsed from a real Response, and the minimal document', async () => {
    const response = Response.json({ resource, authorization_servers: ['http://127.0.0.1:9000/oauth'] });
    const prm = validateProtectedResourceMetadata(await response.json(), { expectedResource: resource });
    expect(prm.authorization_servers).toEqual(['http://127.0.0.1:9000/oauth']);
  });

  it('treats null optional fields as absent and drops them', () => {
    const prm = validateProtectedResourceMetadata(
      { ...valid, jwks_uri: null },
      { expectedResource: resource },
    );
    expect('jwks_uri' in prm).toBe(false);
  });

  it('does not check the resource when expectedResource is left out', () => {
    expect(validateProtectedResourceMetadata(valid, {}).resource).toBe(resource);
  });

  it('rejects a resource that is not identical to the expected one (ERR_UNEXPECTED_VALUE)', () => {
    for (const expectedResource of [
      'https://mcp.example.com/mcp/',
      'https://MCP.example.com/mcp',
      'https://other.example/mcp',
    ]) {
      const error = thrown(() => validateProtectedResourceMetadata(valid, { expectedResource }));
      expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
      expect(error.attribute).toBe('resource');
      expect(error.expected).toBe(expectedResource);
      expect(error.actual).toBe(resource);
      expect(error.message).toMatch(/^"resource" in the protected resource metadata/);
    }
  });

  it.each([
    ['resource', undefined, /is missing/],
    ['resource', null, /is missing/],
    ['resource', 42, /must be a string/],
    ['resource', 'not a url', /absolute URL/],
    ['resource', 'http://mcp.example.com/mcp', /https/],
    ['resource', 'https://mcp.example.com/mcp#x', /fragment/],
    ['authorization_servers', undefined, /is missing/],
    ['authorization_servers', [], /must not be empty/],
    ['authorization_servers', 'https://auth.example.com', /array of strings/],
    ['authorization_servers', [42], /entry 0/],
    [
      'authorization_servers',
      ['https://auth.example.com', 'https://a.example/?q=1'],
      /entry 1 must not have a query/,
    ],
    ['authorization_servers', ['http://auth.example.com'], /https/],
    ['scopes_supported', 'files:read', /array of strings/],
    ['bearer_methods_supported', [true], /array of strings/],
    ['jwks_uri', 'http://mcp.example.com/jwks', /https/],
    ['resource_name', 7, /must be a string/],
    ['resource_documentation', 'javascript:alert(1)', /http or https/],
    ['tls_client_certificate_bound_access_tokens', 'true', /boolean/],
    ['dpop_bound_access_tokens_required', 1, /boolean/],
  ])('rejects %s = %j, naming the field', (field, value, message) => {
    const document = withField(valid, field, value);
    expectInvalidField(
      () => validateProtectedResourceMetadata(document, { expectedResource: resource }),
      field,
      message,
      'protected resource metadata',
    );
  });

  it('reports the first bad field in document order', () => {
    const error = thrown(() =>
      validateProtectedResourceMetadata({ resource, authorization_servers: [], jwks_uri: 1 }, {}),
    );
    expect(error.attribute).toBe('authorization_servers');
  });

  it('rejects a value that is not a JSON object', () => {
    for (const value of [null, [], 'x', 1]) {
      const error = thrown(() => validateProtectedResourceMetadata(value, {}));
      expect(error.code).toBe('ERR_INVALID_METADATA');
      expect(error.message).toBe('the protected resource metadata must be a JSON object');
    }
  });

  it('never puts the peer value in the message', () => {
    const error = thrown(() =>
      validateProtectedResourceMetadata({ ...valid, resource: '<script>alert(1)</script>' }, {}),
    );
    expect(error.message).not.toContain('<script>');
  });

  it('throws a misuse error for bad expectations', () => {
    expect(() =>
      validateProtectedResourceMetadata(valid, { expectedResource: 1 as unknown as string }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
