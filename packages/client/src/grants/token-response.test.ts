import { InvalidClient, InvalidTarget, OAuthError, ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { json } from '../canned-fetch.test-helpers.js';
import { processTokenResponse } from './token-response.js';

const resource = 'https://mcp.example.com/mcp';
const now = () => 1_700_000_000_500;

async function failure(response: Response, expectedResource?: string): Promise<unknown> {
  try {
    await processTokenResponse(response, {
      now,
      ...(expectedResource === undefined ? {} : { expectedResource }),
    });
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('processTokenResponse', () => {
  it('returns the tokens with expiresAt, token_type normalized', async () => {
    const tokens = await processTokenResponse(
      json({
        access_token: 'AT',
        token_type: 'bEaReR',
        expires_in: 600,
        refresh_token: 'RT',
        scope: 'a b',
        extra: 1,
      }),
      { now, expectedResource: resource },
    );
    expect(tokens).toEqual({
      access_token: 'AT',
      token_type: 'Bearer',
      expires_in: 600,
      expiresAt: 1_700_000_600,
      refresh_token: 'RT',
      scope: 'a b',
      resource,
    });
    expect(Object.isFrozen(tokens)).toBe(true);
  });

  it('keeps optional fields absent', async () => {
    expect(await processTokenResponse(json({ access_token: 'AT', token_type: 'Bearer' }))).toEqual({
      access_token: 'AT',
      token_type: 'Bearer',
    });
  });

  it('rejects bad fields naming the field, never the token', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ token_type: 'Bearer' }, 'access_token'],
      [{ access_token: 42, token_type: 'Bearer' }, 'access_token'],
      [{ access_token: 'SECRET-AT', token_type: 'DPoP' }, 'token_type'],
      [{ access_token: 'SECRET-AT' }, 'token_type'],
      [{ access_token: 'SECRET-AT', token_type: 'Bearer', expires_in: '3600' }, 'expires_in'],
      [{ access_token: 'SECRET-AT', token_type: 'Bearer', expires_in: -1 }, 'expires_in'],
      [{ access_token: 'SECRET-AT', token_type: 'Bearer', refresh_token: 7 }, 'refresh_token'],
      [{ access_token: 'SECRET-AT', token_type: 'Bearer', scope: ['a'] }, 'scope'],
    ];
    for (const [body, attribute] of cases) {
      const error = await failure(json(body));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ attribute });
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
        'SECRET-AT',
      );
    }
    expect(await failure(json(['x']))).toMatchObject({ code: 'ERR_INVALID_RESPONSE' });
  });

  it('checks an echoed resource against expectedResource', async () => {
    const body = { access_token: 'AT', token_type: 'Bearer', resource: 'https://other.example/mcp' };
    expect(await failure(json(body), resource)).toMatchObject({
      code: 'ERR_UNEXPECTED_VALUE',
      attribute: 'resource',
    });
    await expect(
      processTokenResponse(json({ ...body, resource: [resource, 'x'] }), { expectedResource: resource }),
    ).resolves.toMatchObject({ resource });
  });

  it('turns RFC 6749 §5.2 error bodies into OAuthErrors with the server code', async () => {
    const invalidClient = await failure(
      json({ error: 'invalid_client', error_description: 'bad secret' }, 401),
    );
    expect(invalidClient).toBeInstanceOf(InvalidClient);
    expect(invalidClient).toMatchObject({ status: 401, error_description: 'bad secret' });
    expect(await failure(json({ error: 'invalid_target' }, 400))).toBeInstanceOf(InvalidTarget);
    const grant = await failure(json({ error: 'invalid_grant', error_description: 'bad\u0000' }, 400));
    expect(grant).toBeInstanceOf(OAuthError);
    expect(grant).toMatchObject({
      error: 'invalid_grant',
      code: 'ERR_OAUTH_INVALID_GRANT',
      error_description: undefined,
    });
  });

  it('other statuses and bodies are ProtocolErrors', async () => {
    expect(await failure(json({ error: 'server_error' }, 500))).toBeInstanceOf(ProtocolError);
    expect(await failure(new Response('<html>', { status: 400 }))).toMatchObject({ attribute: 'status' });
    expect(await failure(new Response('not json', { status: 200 }))).toMatchObject({
      code: 'ERR_INVALID_RESPONSE',
    });
    expect(await failure(new Response(null, { status: 302, headers: { location: '/x' } }))).toBeInstanceOf(
      ProtocolError,
    );
  });
});
