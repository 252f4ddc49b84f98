import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import type { Discovery } from '../discovery/discover.js';
import { generateDpopKey } from '../dpop/dpop-key.js';
import { challengesDpopOnly, createDpopSessions, readChallenge, shouldUseDpop } from './dpop-binding.js';
import { attemptInit, toReplayable } from './replayable-request.js';

function discovery(
  as: Partial<AuthorizationServerMetadata>,
  prm?: Partial<ProtectedResourceMetadata>,
): Discovery {
  return {
    resource: 'https://mcp.example.com/mcp',
    authorizationServer: {
      issuer: 'https://as.example.com',
      metadata: { issuer: 'https://as.example.com', ...as },
    },
    ...(prm === undefined
      ? {}
      : { protectedResource: { metadata: { resource: 'https://mcp.example.com/mcp', ...prm } } }),
  } as unknown as Discovery;
}

describe('shouldUseDpop', () => {
  const es256 = { dpop_signing_alg_values_supported: ['ES256'] };
  it('automatic: only when the resource requires it and the AS supports ES256 proofs', () => {
    expect(
      shouldUseDpop(undefined, discovery(es256, { dpop_bound_access_tokens_required: true }), false),
    ).toBe(true);
    expect(shouldUseDpop(undefined, discovery(es256), true)).toBe(true);
    expect(shouldUseDpop(undefined, discovery(es256), false)).toBe(false);
    expect(shouldUseDpop(undefined, discovery({}, { dpop_bound_access_tokens_required: true }), true)).toBe(
      false,
    );
    expect(shouldUseDpop(undefined, discovery({ dpop_signing_alg_values_supported: ['EdDSA'] }), true)).toBe(
      false,
    );
  });

  it('the option decides when both sides can; never when the resource leaves ES256 out', () => {
    expect(shouldUseDpop(true, discovery(es256), false)).toBe(true);
    expect(shouldUseDpop(false, discovery(es256, { dpop_bound_access_tokens_required: true }), true)).toBe(
      false,
    );
    expect(shouldUseDpop(true, discovery({}), false)).toBe(false);
    expect(
      shouldUseDpop(true, discovery(es256, { dpop_signing_alg_values_supported: ['RS256'] }), false),
    ).toBe(false);
  });
});

describe('challenges of a resource with DPoP', () => {
  const answer = (header: string) =>
    new Response(null, { status: 401, headers: { 'www-authenticate': header } });
  it('reads the Bearer challenge first, else the DPoP one', () => {
    expect(readChallenge(answer('DPoP algs="ES256", resource_metadata="https://m/prm"'))).toEqual({
      resource_metadata: 'https://m/prm',
    });
    expect(
      readChallenge(answer('Bearer resource_metadata="https://m/b", DPoP resource_metadata="https://m/d"')),
    ).toEqual({ resource_metadata: 'https://m/b' });
    expect(readChallenge(answer('Basic realm="x"'))).toBeUndefined();
  });

  it('DPoP-only means a DPoP challenge and no Bearer one', () => {
    expect(challengesDpopOnly('DPoP algs="ES256"')).toBe(true);
    expect(challengesDpopOnly('Bearer realm="x", DPoP algs="ES256"')).toBe(false);
    expect(challengesDpopOnly('Bearer realm="x"')).toBe(false);
    expect(challengesDpopOnly(null)).toBe(false);
  });
});

describe('DPoP sessions and request headers', () => {
  it('one session per stored key (nonces survive across calls); none for bearer tokens', async () => {
    const sessions = createDpopSessions();
    const key = await generateDpopKey();
    const base = { access_token: 'at', resource: 'r', issuer: 'i', client_id: 'c' };
    const stored = { ...base, token_type: 'DPoP', dpop_jwk: key.privateJwk };
    const first = await sessions.forTokens(stored);
    expect(first?.key.thumbprint).toBe(key.thumbprint);
    expect(await sessions.forTokens(stored)).toBe(first);
    expect(await sessions.forTokens({ ...base, token_type: 'Bearer' })).toBeUndefined();
    expect(await sessions.forTokens(undefined)).toBeUndefined();
  });

  it('attemptInit: DPoP scheme and proof header, or Bearer without any DPoP header of the caller', async () => {
    const request = await toReplayable('https://mcp.example.com/mcp', {
      method: 'POST',
      headers: { dpop: 'caller-supplied' },
      body: '{}',
    });
    const dpop = new Headers(attemptInit(request, 'tok', 'the-proof').headers);
    expect([dpop.get('authorization'), dpop.get('dpop')]).toEqual(['DPoP tok', 'the-proof']);
    const bearer = new Headers(attemptInit(request, 'tok').headers);
    expect([bearer.get('authorization'), bearer.get('dpop')]).toEqual(['Bearer tok', null]);
  });
});
