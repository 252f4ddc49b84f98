import diagnostics_channel from 'node:diagnostics_channel';
import {
  InsufficientScope,
  InvalidClient,
  InvalidRequest,
  InvalidToken,
  parseWwwAuthenticate,
  TemporarilyUnavailable,
} from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import { bearerChallenge, errorResponse, sanitizeDescription } from './challenge.js';
import { DIAGNOSTICS_CHANNEL } from './diagnostics.js';

const resourceMetadataUrl = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

function challengeOf(response: Response) {
  const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate'));
  expect(challenges).toHaveLength(1);
  expect(challenges[0]?.scheme).toBe('Bearer');
  return challenges[0]!.params;
}

const events: unknown[] = [];
const listener = (event: unknown) => events.push(event);
afterEach(() => {
  diagnostics_channel.unsubscribe(DIAGNOSTICS_CHANNEL, listener);
  events.length = 0;
});

describe('errorResponse', () => {
  it('S3 MUST send resource_metadata on a 401 without a token, with scope and no error code (RFC 6750 §3.1)', async () => {
    const response = errorResponse(InvalidToken.missing(), {
      resourceMetadataUrl,
      scope: ['mcp:read', 'offline_access'],
    });
    expect(response.status).toBe(401);
    expect(challengeOf(response)).toEqual({ resource_metadata: resourceMetadataUrl, scope: 'mcp:read' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'no access token in the request',
    });
  });

  it('leaves scope out when none is known', () => {
    const params = challengeOf(errorResponse(InvalidToken.missing(), { resourceMetadataUrl, scope: [] }));
    expect(params).toEqual({ resource_metadata: resourceMetadataUrl });
  });

  it('S8 401 invalid_token for a bad token, with description and resource_metadata', async () => {
    const response = errorResponse(new InvalidToken({ description: 'the token has expired' }), {
      resourceMetadataUrl,
    });
    expect(response.status).toBe(401);
    expect(challengeOf(response)).toEqual({
      error: 'invalid_token',
      error_description: 'the token has expired',
      resource_metadata: resourceMetadataUrl,
    });
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the token has expired',
    });
  });

  it('S4 403 insufficient_scope with every scope of the operation, resource_metadata and a description; S7 no offline_access', async () => {
    const error = new InsufficientScope({ scope: ['mcp:read', 'mcp:write', 'offline_access'] });
    const response = errorResponse(error, { resourceMetadataUrl, scope: ['ignored'] });
    expect(response.status).toBe(403);
    const params = challengeOf(response);
    expect(params.error).toBe('insufficient_scope');
    expect(params.scope).toBe('mcp:read mcp:write');
    expect(params.resource_metadata).toBe(resourceMetadataUrl);
    expect(params.error_description).toBeTruthy();
    expect((await response.json()).error).toBe('insufficient_scope');
  });

  it('S10 400 invalid_request for a malformed request', () => {
    const response = errorResponse(new InvalidRequest({ description: 'bad header' }), {
      resourceMetadataUrl,
    });
    expect(response.status).toBe(400);
    expect(challengeOf(response)).toMatchObject({
      error: 'invalid_request',
      resource_metadata: resourceMetadataUrl,
    });
  });

  it('503 with Retry-After and no challenge when the verifier is unreachable', async () => {
    const response = errorResponse(new TemporarilyUnavailable({ description: 'JWKS down' }), {
      resourceMetadataUrl,
      retryAfterSeconds: 7,
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'JWKS down',
    });
  });

  it('answers a generic 500 for anything else, with no stack and no message, and publishes the error', async () => {
    diagnostics_channel.subscribe(DIAGNOSTICS_CHANNEL, listener);
    const secret = new Error('database password is hunter2');
    const response = errorResponse(secret, { resourceMetadataUrl });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('at ');
    expect(JSON.parse(text)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32603, message: 'Internal error' },
      id: null,
    });
    expect(events).toContainEqual(expect.objectContaining({ type: 'error', error: secret }));
  });

  it('treats OAuth errors a resource server never sends as internal errors', () => {
    expect(errorResponse(new InvalidClient(), { resourceMetadataUrl }).status).toBe(500);
  });

  it('publishes rejections without the token', () => {
    diagnostics_channel.subscribe(DIAGNOSTICS_CHANNEL, listener);
    errorResponse(new InvalidToken({ description: 'x' }), { resourceMetadataUrl, token: 'abc.def.ghi' });
    expect(events).toEqual([{ type: 'rejected', status: 401, error: 'invalid_token' }]);
  });

  it('never echoes the token, even when a description contains it', async () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const response = errorResponse(new InvalidToken({ description: `bad token ${token}` }), {
      resourceMetadataUrl,
      token,
    });
    expect(response.headers.get('www-authenticate')).not.toContain(token);
    expect(await response.text()).not.toContain(token);
  });
});

describe('sanitizeDescription', () => {
  it('keeps only RFC 6750 error_description characters', () => {
    expect(sanitizeDescription('a "quoted"\\ value\r\nwith é', 'invalid_token')).toBe('a quoted value with');
  });
  it('falls back to a generic text', () => {
    expect(sanitizeDescription(undefined, 'invalid_token')).toBe('the access token is invalid');
    expect(sanitizeDescription('ééé', 'invalid_request')).toBe('the request is malformed');
  });
  it('caps the length', () => {
    expect(sanitizeDescription('x'.repeat(1000), 'invalid_token')).toHaveLength(200);
  });
});

describe('bearerChallenge', () => {
  it('is undefined for errors without a challenge', () => {
    expect(bearerChallenge(new TemporarilyUnavailable(), { resourceMetadataUrl })).toBeUndefined();
    expect(bearerChallenge(new Error('x'), { resourceMetadataUrl })).toBeUndefined();
  });
});
