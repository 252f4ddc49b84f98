import { describe, expect, it } from 'vitest';
import { readBearerChallenge, splitScope } from './bearer-challenge.js';

describe('readBearerChallenge (RFC 6750 §3, RFC 9728 §5.1)', () => {
  it('reads resource_metadata, scope, error and error_description from a 401 Response', () => {
    const response = new Response(null, {
      status: 401,
      headers: {
        'WWW-Authenticate':
          'Basic realm="x", Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", error_description="needs \\"write\\""',
      },
    });
    expect(readBearerChallenge(response)).toEqual({
      resource_metadata: 'https://h/.well-known/oauth-protected-resource/mcp',
      scope: 'files:read files:write',
      error: 'insufficient_scope',
      error_description: 'needs "write"',
    });
  });

  it('matches the scheme case-insensitively and accepts Headers or a header value', () => {
    expect(readBearerChallenge(new Headers({ 'www-authenticate': 'bearer scope="a"' }))).toEqual({
      scope: 'a',
    });
    expect(readBearerChallenge('BEARER')).toEqual({});
  });

  it('returns undefined without a Bearer challenge', () => {
    expect(readBearerChallenge(new Response(null, { status: 401 }))).toBeUndefined();
    expect(readBearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(readBearerChallenge(null)).toBeUndefined();
  });
});

describe('splitScope (RFC 6749 §3.3)', () => {
  it('splits on spaces, drops empty entries and duplicates, keeps order', () => {
    expect(splitScope(' b  a b ')).toEqual(['b', 'a']);
    expect(splitScope(undefined)).toEqual([]);
    expect(splitScope('   ')).toEqual([]);
  });
});
