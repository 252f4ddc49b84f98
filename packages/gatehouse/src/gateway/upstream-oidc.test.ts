import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followAuthorization,
  pkcePair,
  postJson,
} from '../../../../test/e2e/authorization-server-helpers.js';
import { startUpstreamIdp, type UpstreamIdp } from '../../../../test/e2e/upstream-idp.js';
import { parseServeOptions, type ServeOptions } from '../cli/serve-options.js';
import { type RunningGateway, startGateway } from './start-gateway.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';

describe('gatehouse serve --upstream-oidc-*: sign-in through an OpenID Connect provider', () => {
  let idp: UpstreamIdp;
  let gateway: RunningGateway;
  let dataDir: string;

  beforeAll(async () => {
    idp = await startUpstreamIdp();
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-oidc-'));
    const parsed = parseServeOptions(
      [
        '--demo',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--upstream-oidc-issuer',
        idp.issuer,
        '--upstream-oidc-client-id',
        idp.clientId,
        '--upstream-oidc-client-secret-env',
        'IDP_SECRET',
        '--upstream-oidc-name',
        'Test IdP',
        '--upstream-oidc-only',
      ],
      { IDP_SECRET: idp.clientSecret },
    ) as ServeOptions;
    expect(parsed.upstreamOidc).toMatchObject({ clientSecret: idp.clientSecret, allowLocalPassword: false });
    gateway = await startGateway(parsed);
    await idp.configure(`${gateway.issuer}/upstream/callback`);
  });
  afterAll(async () => {
    await gateway?.close();
    await idp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('offers only "Sign in with Test IdP" on the sign-in page', async () => {
    const registered = await postJson(`${gateway.issuer}/reg`, {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      client_name: 'MCP client',
    });
    expect(registered.status).toBe(201);
    const authorize = new URL(`${gateway.issuer}/auth`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: registered.body.client_id as string,
      redirect_uri: REDIRECT,
      scope: 'mcp:read',
      resource: gateway.mcpUrl,
      state: 'client-state',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    }).toString();
    const { response } = await followAuthorization(authorize.href, new URL(gateway.issuer).origin);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Sign in with Test IdP');
    expect(page).not.toMatch(/type="password"/);
  });
});

describe('--upstream-oidc-* options', () => {
  const usage = (args: string[], env: Record<string, string> = {}) => {
    try {
      parseServeOptions(['--demo', ...args], env);
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };

  it('are all or nothing, take the secret from the environment, and refuse an external issuer', () => {
    expect(usage(['--upstream-oidc-client-id', 'x'])).toMatch(/need --upstream-oidc-issuer/);
    expect(usage(['--upstream-oidc-issuer', 'https://idp.example'])).toMatch(
      /needs --upstream-oidc-client-id/,
    );
    expect(
      usage([
        '--upstream-oidc-issuer',
        'https://idp.example',
        '--upstream-oidc-client-id',
        'x',
        '--upstream-oidc-client-secret-env',
        'NOPE',
      ]),
    ).toMatch(/NOPE is not set/);
    expect(
      usage([
        '--upstream-oidc-issuer',
        'https://idp.example',
        '--upstream-oidc-client-id',
        'x',
        '--upstream-oidc-scope',
        'email',
      ]),
    ).toMatch(/must include openid/);
    expect(usage(['--upstream-oidc-issuer', 'http://idp.example', '--upstream-oidc-client-id', 'x'])).toMatch(
      /https/,
    );
    expect(
      usage([
        '--external-issuer',
        'https://login.example',
        '--upstream-oidc-issuer',
        'https://idp.example',
        '--upstream-oidc-client-id',
        'x',
      ]),
    ).toMatch(/embedded authorization server/);
  });
});
