import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { ProtocolError } from '@gatehouse/core';
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { asMetadata } from '../canned-fetch.test-helpers.js';
import {
  applyClientAuthentication,
  basicAuthorization,
  createClientAssertion,
  selectClientAuthMethod,
} from './client-authentication.js';

const issuer = 'https://as.example.com';
const metadata = (extra: Record<string, unknown> = {}) =>
  asMetadata(issuer, extra) as unknown as AuthorizationServerMetadata;
const pem = '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----';

describe('selectClientAuthMethod', () => {
  it('uses the registered method', () => {
    expect(selectClientAuthMethod({ clientId: 'a', tokenEndpointAuthMethod: 'none' }, metadata())).toBe(
      'none',
    );
    expect(
      selectClientAuthMethod(
        { clientId: 'a', clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post' },
        metadata(),
      ),
    ).toBe('client_secret_post');
    expect(() =>
      selectClientAuthMethod({ clientId: 'a', tokenEndpointAuthMethod: 'client_secret_basic' }, metadata()),
    ).toThrow(TypeError);
    expect(() =>
      selectClientAuthMethod({ clientId: 'a', tokenEndpointAuthMethod: 'tls_client_auth' }, metadata()),
    ).toThrow(TypeError);
  });

  it('chooses from token_endpoint_auth_methods_supported for pre-registered clients', () => {
    const both = metadata({
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    });
    expect(selectClientAuthMethod({ clientId: 'a', clientSecret: 's' }, both)).toBe('client_secret_basic');
    const post = metadata({
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
    });
    expect(selectClientAuthMethod({ clientId: 'a', clientSecret: 's' }, post)).toBe('client_secret_post');
    expect(selectClientAuthMethod({ clientId: 'a', privateKey: { pem, alg: 'ES256' } }, post)).toBe(
      'private_key_jwt',
    );
    expect(selectClientAuthMethod({ clientId: 'a' }, post)).toBe('none');
    // RFC 8414 §2 default when the list is absent: client_secret_basic.
    expect(selectClientAuthMethod({ clientId: 'a', clientSecret: 's' }, metadata())).toBe(
      'client_secret_basic',
    );
    expect(() =>
      selectClientAuthMethod({ clientId: 'a', privateKey: { pem, alg: 'ES256' } }, metadata()),
    ).toThrow(ProtocolError);
  });
});

describe('client_secret_basic (RFC 6749 §2.3.1)', () => {
  it('form-urlencodes id and secret before base64', () => {
    const header = basicAuthorization('client:1 é', 'p@ss w:rd+/%&=');
    expect(header.startsWith('Basic ')).toBe(true);
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    expect(decoded).toBe('client%3A1+%C3%A9:p%40ss+w%3Ard%2B%2F%25%26%3D');
    const [id = '', secret = ''] = decoded.split(':');
    const decode = (s: string) => decodeURIComponent(s.replaceAll('+', '%20'));
    expect([decode(id), decode(secret)]).toEqual(['client:1 é', 'p@ss w:rd+/%&=']);
  });

  it('puts the credentials where each method says', async () => {
    const cases = [
      ['client_secret_basic', {}, ['authorization']],
      ['client_secret_post', { client_id: 'a', client_secret: 's' }, []],
      ['none', { client_id: 'a' }, []],
    ] as const;
    for (const [method, expectedBody, expectedHeaders] of cases) {
      const body = new URLSearchParams();
      const headers: Record<string, string> = {};
      await applyClientAuthentication(
        method,
        { clientId: 'a', clientSecret: 's' },
        metadata(),
        body,
        headers,
      );
      expect(Object.fromEntries(body)).toEqual(expectedBody);
      expect(Object.keys(headers)).toEqual(expectedHeaders);
    }
  });
});

describe('private_key_jwt (RFC 7523)', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`signs a client assertion with ${alg} that verifies with the public key`, async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const key = { pem: await exportPKCS8(privateKey), alg, kid: 'k1' };
      const body = new URLSearchParams();
      await applyClientAuthentication(
        'private_key_jwt',
        { clientId: 'c1', privateKey: key },
        metadata(),
        body,
        {},
      );
      expect(body.get('client_id')).toBe('c1');
      expect(body.get('client_assertion_type')).toBe(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      );
      const { payload, protectedHeader } = await jwtVerify(body.get('client_assertion') ?? '', publicKey, {
        issuer: 'c1',
        subject: 'c1',
        audience: issuer,
        algorithms: [alg],
      });
      expect(protectedHeader).toMatchObject({ alg, kid: 'k1' });
      expect(typeof payload.jti).toBe('string');
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    });
  }

  it('uses the token endpoint as aud when asked, and a fresh jti each time', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const client = {
      clientId: 'c1',
      privateKey: {
        pem: await exportPKCS8(privateKey),
        alg: 'ES256' as const,
        audience: 'token_endpoint' as const,
      },
    };
    const a = await createClientAssertion(client, metadata());
    const b = await createClientAssertion(client, metadata());
    const claims = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims(a).aud).toBe(`${issuer}/token`);
    expect(claims(a).jti).not.toBe(claims(b).jti);
  });

  it('refuses an unusable PEM without echoing it', async () => {
    await expect(
      createClientAssertion(
        { clientId: 'c', privateKey: { pem: `${pem}SECRETKEY`, alg: 'ES256' } },
        metadata(),
      ),
    ).rejects.toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.not.stringContaining('SECRETKEY') }),
    );
  });
});
