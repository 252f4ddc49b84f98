import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { cannedFetch, connectionRefused, json } from '../canned-fetch.test-helpers.js';
import {
  discoverProtectedResource,
  processProtectedResourceMetadataResponse,
  protectedResourceMetadataCandidates,
  protectedResourceMetadataRequest,
} from './protected-resource.js';

const SERVER = 'https://mcp.example.com/v1/mcp';
const HEADER_URL = 'https://meta.example.com/prm/v1/mcp';
const PATH_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp';
const ROOT_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource';
const PRM = { resource: SERVER, authorization_servers: ['https://auth.example.com/tenant1'] };

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('protectedResourceMetadataCandidates (MCP 2025-11-25 § PRM Discovery Requirements)', () => {
  it('tries the challenge URL, then path-inserted, then root, without duplicates', () => {
    expect(protectedResourceMetadataCandidates(SERVER, HEADER_URL)).toEqual([HEADER_URL, PATH_URL, ROOT_URL]);
    expect(protectedResourceMetadataCandidates(SERVER, PATH_URL)).toEqual([PATH_URL, ROOT_URL]);
    expect(protectedResourceMetadataCandidates('https://MCP.example.com:443/v1/mcp/')).toEqual([
      PATH_URL,
      ROOT_URL,
    ]);
  });

  it('ignores a resource_metadata that is not an absolute http(s) URL', () => {
    expect(protectedResourceMetadataCandidates(SERVER, '/relative')).toEqual([PATH_URL, ROOT_URL]);
    expect(protectedResourceMetadataCandidates(SERVER, 'javascript:alert(1)')).toEqual([PATH_URL, ROOT_URL]);
  });
});

describe('discoverProtectedResource', () => {
  it('uses the resource_metadata URL of the challenge first', async () => {
    const fetch = cannedFetch({ [HEADER_URL]: () => json(PRM), [PATH_URL]: () => json(PRM) });
    const found = await discoverProtectedResource(SERVER, { fetch, resourceMetadataUrl: HEADER_URL });
    expect(found?.url).toBe(HEADER_URL);
    expect(found?.metadata.authorization_servers).toEqual(['https://auth.example.com/tenant1']);
    expect(fetch.urls()).toEqual([HEADER_URL]);
  });

  it('moves on after a 404 or another 4xx: header URL, then path-inserted, then root', async () => {
    const fetch = cannedFetch({
      [HEADER_URL]: () => json({ error: 'gone' }, 410),
      [PATH_URL]: () => new Response('forbidden', { status: 403 }),
      [ROOT_URL]: () => json(PRM),
    });
    const found = await discoverProtectedResource(SERVER, { fetch, resourceMetadataUrl: HEADER_URL });
    expect(found?.url).toBe(ROOT_URL);
    expect(fetch.urls()).toEqual([HEADER_URL, PATH_URL, ROOT_URL]);
  });

  it('resolves undefined when no URL has metadata (a server without PRM)', async () => {
    const fetch = cannedFetch({});
    expect(await discoverProtectedResource(SERVER, { fetch })).toBeUndefined();
    expect(fetch.urls()).toEqual([PATH_URL, ROOT_URL]);
  });

  it('sends MCP-Protocol-Version when given, and Accept: application/json, with GET', async () => {
    const fetch = cannedFetch({ [PATH_URL]: () => json(PRM) });
    await discoverProtectedResource(SERVER, { fetch, protocolVersion: '2025-11-25' });
    const [call] = fetch.calls;
    expect(call?.init.method).toBe('GET');
    expect(call?.init.headers['mcp-protocol-version']).toBe('2025-11-25');
    expect(call?.init.headers.accept).toBe('application/json');
    expect(call?.init.redirect).toBe('manual');
  });

  it('sends no MCP-Protocol-Version header when none is given', async () => {
    const fetch = cannedFetch({ [PATH_URL]: () => json(PRM) });
    await discoverProtectedResource(SERVER, { fetch });
    expect(Object.keys(fetch.calls[0]?.init.headers ?? {})).toEqual(['accept']);
  });

  it('refuses a PRM whose resource is another server, and does not try the next URL', async () => {
    const other = { ...PRM, resource: 'https://attacker.example/mcp' };
    const fetch = cannedFetch({ [PATH_URL]: () => json(other), [ROOT_URL]: () => json(PRM) });
    const error = await rejection(discoverProtectedResource(SERVER, { fetch }));
    expect(error.code).toBe('ERR_UNEXPECTED_VALUE');
    expect(error.attribute).toBe('resource');
    expect(error.expected).toBe(SERVER);
    expect(error.actual).toBe('https://attacker.example/mcp');
    expect(fetch.urls()).toEqual([PATH_URL]);
  });

  it('refuses a PRM for a prefix of the MCP URL (the origin only)', async () => {
    const fetch = cannedFetch({ [PATH_URL]: () => json({ ...PRM, resource: 'https://mcp.example.com' }) });
    const error = await rejection(discoverProtectedResource(SERVER, { fetch }));
    expect(error.attribute).toBe('resource');
  });

  it('accepts the origin as resource from the root well-known URL only (RFC 9728 §3.1 identifier of that URL)', async () => {
    const origin = { ...PRM, resource: 'https://mcp.example.com' };
    const fromRoot = cannedFetch({ [ROOT_URL]: () => json(origin) });
    const found = await discoverProtectedResource(SERVER, { fetch: fromRoot });
    expect(found?.url).toBe(ROOT_URL);
    expect(found?.metadata.resource).toBe('https://mcp.example.com');
    expect(fromRoot.urls()).toEqual([PATH_URL, ROOT_URL]);
    const otherHost = cannedFetch({
      [ROOT_URL]: () => json({ ...PRM, resource: 'https://other.example.com' }),
    });
    expect((await rejection(discoverProtectedResource(SERVER, { fetch: otherHost }))).attribute).toBe(
      'resource',
    );
  });

  it('compares canonical URIs: case of the host, default port and trailing slash do not matter', async () => {
    const fetch = cannedFetch({
      [PATH_URL]: () => json({ ...PRM, resource: 'https://MCP.example.com:443/v1/mcp/' }),
    });
    const found = await discoverProtectedResource('https://mcp.example.com/v1/mcp/', { fetch });
    expect(found?.metadata.resource).toBe('https://MCP.example.com:443/v1/mcp/');
  });

  it('stops on a 5xx with ERR_INVALID_RESPONSE naming the URL', async () => {
    const fetch = cannedFetch({ [PATH_URL]: () => new Response('oops', { status: 502 }) });
    const error = await rejection(discoverProtectedResource(SERVER, { fetch }));
    expect(error.code).toBe('ERR_INVALID_RESPONSE');
    expect(error.actual).toBe(502);
    expect(error.message).toContain(PATH_URL);
    expect(fetch.urls()).toEqual([PATH_URL]);
  });

  it('reports a network failure with the URL tried, and stops', async () => {
    const fetch = cannedFetch({ [HEADER_URL]: () => connectionRefused() });
    const error = await rejection(
      discoverProtectedResource(SERVER, { fetch, resourceMetadataUrl: HEADER_URL }),
    );
    expect(error.code).toBe('ERR_FETCH_FAILED');
    expect(error.message).toContain(HEADER_URL);
    expect(error.message).toContain('ECONNREFUSED');
    expect(fetch.urls()).toEqual([HEADER_URL]);
  });

  it('names neither the query nor userinfo of the URL in messages', async () => {
    const url = 'https://meta.example.com/prm?token=secret-value';
    const fetch = cannedFetch({ [url]: () => connectionRefused() });
    const error = await rejection(discoverProtectedResource(SERVER, { fetch, resourceMetadataUrl: url }));
    expect(error.message).not.toContain('secret-value');
  });

  it('refuses invalid metadata naming the field', async () => {
    const fetch = cannedFetch({ [PATH_URL]: () => json({ resource: SERVER, authorization_servers: [] }) });
    const error = await rejection(discoverProtectedResource(SERVER, { fetch }));
    expect(error.code).toBe('ERR_INVALID_METADATA');
    expect(error.attribute).toBe('authorization_servers');
  });

  it('rejects with the caller signal reason when aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const fetch = cannedFetch({ [PATH_URL]: () => json(PRM) });
    await expect(discoverProtectedResource(SERVER, { fetch, signal: controller.signal })).rejects.toBe(
      reason,
    );
    expect(fetch.calls).toHaveLength(0);
  });

  it('uses safeFetch by default: a plain-http peer URL is refused before any connection', async () => {
    const error = await rejection(protectedResourceMetadataRequest('http://meta.example.com/prm'));
    expect(error.code).toBe('ERR_FETCH_REFUSED');
    expect(error.message).toContain('http://meta.example.com/prm');
  });

  it('refuses "fetch" together with "policy" (the policy would be ignored)', () => {
    const fetch = cannedFetch({});
    expect(() =>
      protectedResourceMetadataRequest(PATH_URL, { fetch, policy: { allowLoopback: true } }),
    ).toThrow(TypeError);
  });
});

describe('processProtectedResourceMetadataResponse', () => {
  it('returns the frozen, validated document', async () => {
    const metadata = await processProtectedResourceMetadataResponse(json({ ...PRM, ext: 1 }), {
      expectedResource: SERVER,
    });
    expect(Object.isFrozen(metadata)).toBe(true);
    expect(metadata.ext).toBe(1);
  });

  it('refuses a body that is not JSON', async () => {
    const error = await rejection(
      processProtectedResourceMetadataResponse(new Response('<html>'), { expectedResource: SERVER }),
    );
    expect(error.code).toBe('ERR_INVALID_RESPONSE');
  });

  it('refuses a status other than 200', async () => {
    const error = await rejection(
      processProtectedResourceMetadataResponse(json(PRM, 404), { expectedResource: SERVER }),
    );
    expect(error.actual).toBe(404);
  });

  it('requires expectedResource', async () => {
    await expect(
      processProtectedResourceMetadataResponse(json(PRM), {} as { expectedResource: string }),
    ).rejects.toThrow(TypeError);
  });
});
