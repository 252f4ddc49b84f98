import { type AuthorizationServerMetadata, OAuthError, ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata, cannedFetch, json } from '../canned-fetch.test-helpers.js';
import type { ClientRequestInit } from '../http.js';
import { RegistrationImpossible } from './registration-impossible.js';
import { resolveClientRegistration } from './resolve-client-registration.js';
import type { ClientRegistration, ClientRegistrationStore } from './types.js';

const ISSUER = 'https://auth.example.com';
const REGISTER = `${ISSUER}/register`;
const LOOPBACK = 'http://127.0.0.1:8765/callback';
const CIMD_URL = 'https://app.example.com/oauth/client.json';

function metadata(extra: Record<string, unknown> = {}): AuthorizationServerMetadata {
  return asMetadata(ISSUER, extra) as unknown as AuthorizationServerMetadata;
}

function memoryStore(
  initial?: ClientRegistration,
): ClientRegistrationStore & { saved: Map<string, ClientRegistration> } {
  const saved = new Map<string, ClientRegistration>(initial ? [[initial.issuer, initial]] : []);
  return {
    saved,
    get: (issuer) => saved.get(issuer),
    set: (issuer, registration) => void saved.set(issuer, registration),
  };
}

let counter = 0;
function registrar(status = 201) {
  return cannedFetch({
    [REGISTER]: (init: ClientRequestInit) => {
      counter += 1;
      const request = JSON.parse(init.body ?? '{}') as Record<string, unknown>;
      return json({ ...request, client_id: `dyn-${counter}` }, status);
    },
  });
}

const base = { redirectUris: [LOOPBACK], clientName: 'Agent', env: {} };

describe('resolveClientRegistration: MCP registration priority', () => {
  it('1. pre-registered credentials win over CIMD and DCR', async () => {
    const fetch = registrar();
    const registration = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: metadata({ client_id_metadata_document_supported: true }),
      preRegistered: { clientId: 'pre-1', clientSecret: 's3cret' },
      clientMetadataUrl: CIMD_URL,
    });
    expect(registration).toMatchObject({
      method: 'pre-registered',
      clientId: 'pre-1',
      clientSecret: 's3cret',
      issuer: ISSUER,
    });
    expect(fetch.calls).toHaveLength(0);
  });

  it('1. reads MCP_CLIENT_ID / MCP_CLIENT_SECRET from the injected env', async () => {
    const registration = await resolveClientRegistration({
      ...base,
      fetch: registrar(),
      metadata: metadata(),
      env: { MCP_CLIENT_ID: 'env-client', MCP_CLIENT_SECRET: 'env-secret' },
    });
    expect(registration).toMatchObject({
      method: 'pre-registered',
      clientId: 'env-client',
      clientSecret: 'env-secret',
    });
  });

  it('1. a secret without an id in the env is misuse', async () => {
    await expect(
      resolveClientRegistration({ ...base, metadata: metadata(), env: { MCP_CLIENT_SECRET: 'x' } }),
    ).rejects.toThrow(TypeError);
  });

  it('1. refuses pre-registered credentials bound to another issuer, without leaking the secret', async () => {
    const error = (await resolveClientRegistration({
      ...base,
      metadata: metadata(),
      preRegistered: {
        clientId: 'pre-1',
        clientSecret: 'do-not-leak',
        issuer: 'https://old-auth.example.com',
      },
    }).catch((reason: unknown) => reason)) as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.attribute).toBe('issuer');
    expect(`${error.message}${String(error.expected)}${String(error.actual)}`).not.toContain('do-not-leak');
  });

  it('refuses unknown options (misuse)', async () => {
    const options = { ...base, metadata: metadata(), preregistered: { clientId: 'x' } };
    await expect(
      resolveClientRegistration(options as unknown as Parameters<typeof resolveClientRegistration>[0]),
    ).rejects.toThrow(/unknown option "preregistered"/);
  });

  it('2. CIMD when clientMetadataUrl is given and the server advertises support', async () => {
    const fetch = registrar();
    const registration = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: metadata({ client_id_metadata_document_supported: true }),
      clientMetadataUrl: CIMD_URL,
    });
    expect(registration).toMatchObject({
      method: 'client-id-metadata-document',
      clientId: CIMD_URL,
      tokenEndpointAuthMethod: 'none',
    });
    expect(fetch.calls).toHaveLength(0);
  });

  it('2. no CIMD when the server does not advertise it: DCR instead', async () => {
    const fetch = registrar();
    const registration = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: metadata(),
      clientMetadataUrl: CIMD_URL,
    });
    expect(registration.method).toBe('dynamic');
  });

  it('2. refuses a clientMetadataUrl that is not https with a path (misuse)', async () => {
    await expect(
      resolveClientRegistration({
        ...base,
        metadata: metadata(),
        clientMetadataUrl: 'https://app.example.com/',
      }),
    ).rejects.toThrow(TypeError);
  });

  it('3. DCR: registers a native public client and stores it per issuer', async () => {
    const fetch = registrar();
    const store = memoryStore();
    const registration = await resolveClientRegistration({ ...base, fetch, metadata: metadata(), store });
    expect(registration).toMatchObject({
      method: 'dynamic',
      issuer: ISSUER,
      tokenEndpointAuthMethod: 'none',
      redirectUris: [LOOPBACK],
    });
    expect(JSON.parse(fetch.calls[0]?.init.body ?? '')).toMatchObject({
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    expect(store.saved.get(ISSUER)).toEqual(registration);
  });

  it('3. reuses a cached registration that still covers the redirect URI', async () => {
    const cached: ClientRegistration = {
      issuer: ISSUER,
      method: 'dynamic',
      clientId: 'cached',
      tokenEndpointAuthMethod: 'none',
      redirectUris: [LOOPBACK],
    };
    const fetch = registrar();
    const registration = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: metadata(),
      store: memoryStore(cached),
    });
    expect(registration.clientId).toBe('cached');
    expect(fetch.calls).toHaveLength(0);
  });

  it('3. replaces a cached registration whose redirect URIs no longer cover the wanted one (once)', async () => {
    const stale: ClientRegistration = {
      issuer: ISSUER,
      method: 'dynamic',
      clientId: 'stale',
      redirectUris: ['http://127.0.0.1:1111/callback'],
    };
    const fetch = registrar();
    const store = memoryStore(stale);
    const registration = await resolveClientRegistration({ ...base, fetch, metadata: metadata(), store });
    expect(registration.clientId).not.toBe('stale');
    expect(fetch.calls).toHaveLength(1);
    expect(store.saved.get(ISSUER)?.clientId).toBe(registration.clientId);
  });

  it('3. replaces a cached registration whose secret has expired', async () => {
    const expired: ClientRegistration = {
      issuer: ISSUER,
      method: 'dynamic',
      clientId: 'expired',
      clientSecret: 'old',
      clientSecretExpiresAt: 1,
      redirectUris: [LOOPBACK],
    };
    const fetch = registrar();
    const registration = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: metadata(),
      store: memoryStore(expired),
    });
    expect(registration.clientId).not.toBe('expired');
  });

  const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
  const offersDevice = () =>
    metadata({
      device_authorization_endpoint: `${ISSUER}/device/auth`,
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
    });

  it('3. DCR asks for the device grant (RFC 8628) when the server offers it, and records the grant types', async () => {
    const fetch = registrar();
    const registration = await resolveClientRegistration({ ...base, fetch, metadata: offersDevice() });
    expect(JSON.parse(fetch.calls[0]?.init.body ?? '').grant_types).toEqual([
      'authorization_code',
      'refresh_token',
      DEVICE_GRANT,
    ]);
    expect(registration.grantTypes).toEqual(['authorization_code', 'refresh_token', DEVICE_GRANT]);
    const plain = await resolveClientRegistration({ ...base, fetch, metadata: metadata() });
    expect(JSON.parse(fetch.calls[1]?.init.body ?? '').grant_types).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(plain.grantTypes).toEqual(['authorization_code', 'refresh_token']);
  });

  it('3. deviceAuthorization: replaces (once) a cached registration without the device grant, reuses one with it', async () => {
    const withoutGrant: ClientRegistration = {
      issuer: ISSUER,
      method: 'dynamic',
      clientId: 'browser-only',
      redirectUris: [LOOPBACK],
      // registered before the server offered the device grant, or stored before grantTypes existed
    };
    const fetch = registrar();
    const store = memoryStore(withoutGrant);
    const options = { ...base, fetch, metadata: offersDevice(), store, deviceAuthorization: true };
    const replaced = await resolveClientRegistration(options);
    expect(replaced.clientId).not.toBe('browser-only');
    expect(replaced.grantTypes).toContain(DEVICE_GRANT);
    expect(store.saved.get(ISSUER)?.clientId).toBe(replaced.clientId);
    const again = await resolveClientRegistration(options);
    expect(again.clientId).toBe(replaced.clientId);
    expect(fetch.calls).toHaveLength(1);
    // Without deviceAuthorization, a registration lacking the grant is still good for the browser.
    const browserStore = memoryStore(withoutGrant);
    const kept = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: offersDevice(),
      store: browserStore,
    });
    expect(kept.clientId).toBe('browser-only');
    await expect(
      resolveClientRegistration({ ...options, deviceAuthorization: 'yes' as never }),
    ).rejects.toThrow(TypeError);
  });

  it('3. a server that drops the device grant from the registration: recorded as it answered', async () => {
    const fetch = cannedFetch({
      [REGISTER]: (init: ClientRequestInit) => {
        const request = JSON.parse(init.body ?? '{}') as Record<string, unknown>;
        return json({ ...request, client_id: 'no-device', grant_types: ['authorization_code'] }, 201);
      },
    });
    const registration = await resolveClientRegistration({
      ...base,
      fetch,
      metadata: offersDevice(),
      deviceAuthorization: true,
    });
    expect(registration.grantTypes).toEqual(['authorization_code']);
  });

  it('3. a registration error body surfaces as an OAuthError with the server code, not stored', async () => {
    const fetch = cannedFetch({
      [REGISTER]: () => json({ error: 'invalid_redirect_uri', error_description: 'no loopback' }, 400),
    });
    const store = memoryStore();
    const error = await resolveClientRegistration({ ...base, fetch, metadata: metadata(), store }).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('invalid_redirect_uri');
    expect(store.saved.size).toBe(0);
  });

  it('4. RegistrationImpossible when no approach applies, saying what the user can do', async () => {
    const error = await resolveClientRegistration({
      ...base,
      metadata: metadata({ registration_endpoint: undefined }),
    }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RegistrationImpossible);
    expect(error).toBeInstanceOf(ProtocolError);
    const impossible = error as RegistrationImpossible;
    expect(impossible.code).toBe('ERR_MISSING_ATTRIBUTE');
    expect(impossible.attribute).toBe('registration_endpoint');
    expect(impossible.issuer).toBe(ISSUER);
    expect(impossible.message).toContain('MCP_CLIENT_ID');
    expect(impossible.message).toContain('clientMetadataUrl');
    expect(impossible.message).toContain('operator');
    expect(new ProtocolError('ERR_MISSING_ATTRIBUTE', 'x')).not.toBeInstanceOf(RegistrationImpossible);
  });

  it('4. says so when clientMetadataUrl was given but the server has no CIMD support', async () => {
    const error = (await resolveClientRegistration({
      ...base,
      metadata: metadata({ registration_endpoint: undefined }),
      clientMetadataUrl: CIMD_URL,
    }).catch((reason: unknown) => reason)) as RegistrationImpossible;
    expect(error.message).toContain('does not advertise Client ID Metadata Document support');
  });
});
