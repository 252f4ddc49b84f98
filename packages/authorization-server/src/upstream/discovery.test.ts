import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import {
  createMetadataCache,
  createUpstreamHttp,
  discoverUpstream,
  type UpstreamFetch,
} from './discovery.js';
import { UpstreamSignInError } from './errors.js';

const ISSUER = 'https://idp.example/tenant';

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const document = {
  issuer: ISSUER,
  authorization_endpoint: 'https://idp.example/tenant/auth',
  token_endpoint: 'https://idp.example/tenant/token',
  jwks_uri: 'https://idp.example/tenant/jwks',
};

function serve(routes: Record<string, () => Response>): { fetch: UpstreamFetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (url) => {
      urls.push(url);
      return routes[url]?.() ?? new Response('', { status: 404 });
    },
  };
}

async function reason(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return UpstreamSignInError.is(error) ? error.reason : `not classified: ${String(error)}`;
}

describe('discoverUpstream', () => {
  it('uses OpenID Connect Discovery, then the RFC 8414 path-inserted URL on a 404', async () => {
    const oidc = serve({ [`${ISSUER}/.well-known/openid-configuration`]: () => json(document) });
    expect(
      await discoverUpstream(
        ISSUER,
        createUpstreamHttp({ allowLoopback: false, fetcher: oidc.fetch }).http,
        false,
      ),
    ).toMatchObject(document);
    const rfc8414 = serve({
      'https://idp.example/.well-known/oauth-authorization-server/tenant': () => json(document),
    });
    const http = createUpstreamHttp({ allowLoopback: false, fetcher: rfc8414.fetch }).http;
    expect((await discoverUpstream(ISSUER, http, false)).issuer).toBe(ISSUER);
    expect(rfc8414.urls).toEqual([
      `${ISSUER}/.well-known/openid-configuration`,
      'https://idp.example/.well-known/oauth-authorization-server/tenant',
    ]);
  });

  it('refuses metadata of another issuer (OpenID Connect Discovery 1.0 §4.3) and non-https endpoints', async () => {
    for (const body of [
      { ...document, issuer: 'https://evil.example' },
      { ...document, token_endpoint: 'http://idp.example/token' },
      { ...document, jwks_uri: undefined },
      { ...document, authorization_endpoint: 'javascript:alert(1)' },
    ]) {
      const upstream = serve({ [`${ISSUER}/.well-known/openid-configuration`]: () => json(body) });
      const http = createUpstreamHttp({ allowLoopback: false, fetcher: upstream.fetch }).http;
      expect(await reason(discoverUpstream(ISSUER, http, false)), JSON.stringify(body)).toBe(
        'invalid_response',
      );
    }
  });

  it('reports a network failure as "unreachable"', async () => {
    const fetch: UpstreamFetch = async () => {
      throw new ProtocolError('ERR_FETCH_TIMEOUT', 'timeout');
    };
    const http = createUpstreamHttp({ allowLoopback: false, fetcher: fetch }).http;
    expect(await reason(discoverUpstream(ISSUER, http, false))).toBe('unreachable');
  });

  it('goes through safeFetch by default, which refuses loopback unless allowed', async () => {
    const { http, close } = createUpstreamHttp({ allowLoopback: false });
    try {
      expect(await reason(discoverUpstream('https://127.0.0.1:1', http, false))).toBe('unreachable');
    } finally {
      await close();
    }
  });
});

describe('createMetadataCache', () => {
  it('shares one fetch, keeps a success for an hour and forgets failures', async () => {
    let calls = 0;
    let fail = true;
    let now = 1000;
    const cache = createMetadataCache(
      async () => {
        calls++;
        if (fail) throw new Error('down');
        return { issuer: ISSUER };
      },
      () => now,
    );
    await expect(cache.get()).rejects.toThrow('down');
    expect(cache.peek()).toBeUndefined();
    fail = false;
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toBe(b);
    expect(calls).toBe(2);
    now += 3599;
    expect(await cache.get()).toBe(a);
    expect(calls).toBe(2);
    now += 2;
    expect(await cache.get()).not.toBe(a);
    expect(calls).toBe(3);
  });
});
