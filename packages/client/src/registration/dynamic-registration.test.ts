import { InvalidClient, InvalidRequest, OAuthError, ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { cannedFetch, json } from '../canned-fetch.test-helpers.js';
import {
  dynamicClientMetadata,
  isNativeRedirectUri,
  processRegistrationResponse,
  registrationRequest,
} from './dynamic-registration.js';

const ENDPOINT = 'https://auth.example.com/register';
const LOOPBACK = 'http://127.0.0.1:8765/callback';

describe('dynamicClientMetadata (RFC 7591 §2, MCP 2026-07-28 § DCR)', () => {
  it('describes a native public client with refresh tokens for loopback redirects', () => {
    expect(dynamicClientMetadata({ redirectUris: [LOOPBACK], clientName: 'Agent' })).toEqual({
      application_type: 'native',
      client_name: 'Agent',
      redirect_uris: [LOOPBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  });

  it('deviceAuthorization adds the device code grant (RFC 8628 §3.4) to grant_types', () => {
    expect(
      dynamicClientMetadata({ redirectUris: [LOOPBACK], clientName: 'Agent', deviceAuthorization: true })
        .grant_types,
    ).toEqual(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']);
    expect(() =>
      dynamicClientMetadata({ redirectUris: [LOOPBACK], clientName: 'A', deviceAuthorization: 1 as never }),
    ).toThrow(TypeError);
  });

  it('uses web for a remote https redirect, unless told otherwise', () => {
    const remote = 'https://app.example.com/callback';
    expect(dynamicClientMetadata({ redirectUris: [remote], clientName: 'A' }).application_type).toBe('web');
    expect(
      dynamicClientMetadata({ redirectUris: [remote], clientName: 'A', applicationType: 'native' })
        .application_type,
    ).toBe('native');
  });

  it('classifies redirect URIs per RFC 8252 §7', () => {
    expect(isNativeRedirectUri('http://localhost:1/cb')).toBe(true);
    expect(isNativeRedirectUri('http://[::1]:1/cb')).toBe(true);
    expect(isNativeRedirectUri('com.example.app:/cb')).toBe(true);
    expect(isNativeRedirectUri('https://app.example.com/cb')).toBe(false);
  });

  it('refuses missing redirect URIs or client name (misuse)', () => {
    expect(() => dynamicClientMetadata({ redirectUris: [], clientName: 'A' })).toThrow(TypeError);
    expect(() => dynamicClientMetadata({ redirectUris: ['/relative'], clientName: 'A' })).toThrow(TypeError);
    expect(() => dynamicClientMetadata({ redirectUris: [LOOPBACK], clientName: ' ' })).toThrow(TypeError);
  });
});

describe('registrationRequest', () => {
  it('POSTs the metadata as JSON, with the initial access token when given', async () => {
    const fetch = cannedFetch({ [ENDPOINT]: () => json({ client_id: 'c1' }, 201) });
    const metadata = dynamicClientMetadata({ redirectUris: [LOOPBACK], clientName: 'Agent' });
    await registrationRequest(ENDPOINT, metadata, { fetch, initialAccessToken: 'iat-123' });
    const [call] = fetch.calls;
    expect(call?.init.method).toBe('POST');
    expect(call?.init.headers['content-type']).toBe('application/json');
    expect(call?.init.headers.authorization).toBe('Bearer iat-123');
    expect(JSON.parse(call?.init.body ?? '')).toEqual(metadata);
  });
});

describe('processRegistrationResponse (RFC 7591 §3.2)', () => {
  const expectations = { redirectUris: [LOOPBACK] };

  it('returns the validated registration for 201 (and 200)', async () => {
    const body = { client_id: 'c1', redirect_uris: [LOOPBACK], token_endpoint_auth_method: 'none' };
    expect((await processRegistrationResponse(json(body, 201), expectations)).client_id).toBe('c1');
    expect((await processRegistrationResponse(json(body, 200), expectations)).client_id).toBe('c1');
  });

  it('turns an RFC 7591 error body into an OAuthError with the server code and status', async () => {
    const error = await processRegistrationResponse(
      json({ error: 'invalid_redirect_uri', error_description: 'loopback only' }, 400),
      expectations,
    ).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({
      error: 'invalid_redirect_uri',
      status: 400,
      error_description: 'loopback only',
    });
  });

  it('maps known codes onto core classes (instanceof by code)', async () => {
    const invalid = await processRegistrationResponse(
      json({ error: 'invalid_request' }, 400),
      expectations,
    ).catch((reason: unknown) => reason);
    expect(invalid).toBeInstanceOf(InvalidRequest);
    const unauthorized = await processRegistrationResponse(
      json({ error: 'invalid_client' }, 401),
      expectations,
    ).catch((reason: unknown) => reason);
    expect(unauthorized).toBeInstanceOf(InvalidClient);
  });

  it('drops an error_description with characters RFC 6749 §5.2 does not allow', async () => {
    const error = (await processRegistrationResponse(
      json({ error: 'invalid_client_metadata', error_description: 'bad <script>"x"</script>\n' }, 400),
      expectations,
    ).catch((reason: unknown) => reason)) as OAuthError;
    expect(error.error).toBe('invalid_client_metadata');
    expect(error.error_description).toBeUndefined();
    expect(error.message).toBe('invalid_client_metadata');
  });

  it('answers a non-OAuth error body with ERR_INVALID_RESPONSE', async () => {
    const error = await processRegistrationResponse(
      new Response('<html>', { status: 500 }),
      expectations,
    ).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).actual).toBe(500);
  });

  it('refuses a registration that does not include the redirect URI asked for', async () => {
    const body = { client_id: 'c1', redirect_uris: ['http://127.0.0.1:9999/other'] };
    const error = await processRegistrationResponse(json(body, 201), expectations).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).attribute).toBe('redirect_uris');
  });

  it('reads a client_secret without client_secret_expires_at as one that does not expire (0)', async () => {
    const body = { client_id: 'c1', client_secret: 's3cret' };
    const registration = await processRegistrationResponse(json(body, 201), expectations);
    expect(registration).toMatchObject({
      client_id: 'c1',
      client_secret: 's3cret',
      client_secret_expires_at: 0,
    });
  });

  it('never puts the client secret or registration access token in an error', async () => {
    const body = {
      client_id: 'c1',
      client_secret: 'very-secret-value',
      registration_access_token: 'rat-secret-value',
      client_secret_expires_at: -1,
    };
    const error = (await processRegistrationResponse(json(body, 201), expectations).catch(
      (reason: unknown) => reason,
    )) as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    const text = `${error.message} ${JSON.stringify(error.expected)} ${JSON.stringify(error.actual)}`;
    expect(text).not.toContain('very-secret-value');
    expect(text).not.toContain('rat-secret-value');
  });
});
