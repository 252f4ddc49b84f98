import { describe, expect, it } from 'vitest';
import { cannedFetch, json } from '../canned-fetch.test-helpers.js';
import { generateDpopKey } from '../dpop/dpop-key.js';
import { createDpopSession } from '../dpop/dpop-proof.js';
import { postAuthenticatedForm } from './authenticated-form-post.js';

const issuer = 'https://as.example.com';
const url = `${issuer}/token`;
const metadata = { issuer, token_endpoint: url };

function claims(jwt: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt?.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

describe('postAuthenticatedForm', () => {
  it('posts the form with the client authentication, accept only when asked', async () => {
    for (const acceptJson of [true, false]) {
      const fetchFn = cannedFetch({ [url]: () => json({}) });
      const body = new URLSearchParams({ token: 't' });
      const client = { clientId: 'c1', clientSecret: 's' };
      await postAuthenticatedForm(
        fetchFn,
        url,
        'endpoint',
        { client, metadata, body, acceptJson },
        undefined,
      );
      const init = fetchFn.calls[0]?.init;
      expect(init?.method).toBe('POST');
      expect(init?.headers).toEqual({
        'content-type': 'application/x-www-form-urlencoded',
        ...(acceptJson ? { accept: 'application/json' } : {}),
        authorization: `Basic ${Buffer.from('c1:s').toString('base64')}`,
      });
      expect(init?.body).toBe('token=t');
    }
  });

  it('misuse throws at the call, before anything is sent', () => {
    const fetchFn = cannedFetch({});
    const form = { client: { clientId: '' }, metadata, body: new URLSearchParams(), acceptJson: true };
    expect(() => postAuthenticatedForm(fetchFn, url, 'endpoint', form, undefined)).toThrow(TypeError);
    expect(fetchFn.calls).toHaveLength(0);
  });

  it('RFC 9449 §8: on use_dpop_nonce, sends once more with the nonce and a fresh proof', async () => {
    const nonceError = () =>
      new Response(JSON.stringify({ error: 'use_dpop_nonce' }), {
        status: 400,
        headers: { 'content-type': 'application/json', 'dpop-nonce': 'n-1' },
      });
    const fetchFn = cannedFetch({ [url]: () => nonceError() });
    const dpop = createDpopSession(await generateDpopKey());
    const form = {
      client: { clientId: 'pub' },
      metadata,
      body: new URLSearchParams(),
      acceptJson: true,
      dpop,
    };
    const response = await postAuthenticatedForm(fetchFn, url, 'endpoint', form, undefined);
    expect(response.status).toBe(400);
    expect(fetchFn.calls).toHaveLength(2); // once more, not again and again
    const [first, second] = fetchFn.calls.map((call) => claims(call.init.headers.dpop));
    expect(first?.nonce).toBeUndefined();
    expect(second?.nonce).toBe('n-1');
    expect(second?.jti).not.toBe(first?.jti);
  });

  it('without DPoP, a use_dpop_nonce answer is returned as is', async () => {
    const fetchFn = cannedFetch({
      [url]: () =>
        new Response('{"error":"use_dpop_nonce"}', { status: 400, headers: { 'dpop-nonce': 'n' } }),
    });
    const form = { client: { clientId: 'pub' }, metadata, body: new URLSearchParams(), acceptJson: true };
    const response = await postAuthenticatedForm(fetchFn, url, 'endpoint', form, undefined);
    expect(response.status).toBe(400);
    expect(fetchFn.calls).toHaveLength(1);
  });
});
