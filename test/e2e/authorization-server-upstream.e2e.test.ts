/**
 * End to end: upstream sign-in (MCP § Third-Party Authorization Flow) over real HTTP on
 * 127.0.0.1. An MCP client (a public native client) asks our authorization server for a token; the
 * user signs in at a bare node-oidc-provider (the upstream, driven through its development login
 * and consent forms); our server maps the upstream subject to a local account, shows its own
 * consent page and issues its own token, whose `sub` is the local account.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  createMemoryStorage,
} from '@gatehouse/authorization-server';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, pkcePair, postForm, postJson } from './authorization-server-helpers.js';
import { driveUpstream, startUpstreamIdp, type UpstreamIdp } from './upstream-idp.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';

interface Running {
  readonly server: AuthorizationServer;
  readonly origin: string;
  readonly resource: string;
  close(): Promise<void>;
}

/** Our authorization server on 127.0.0.1:0, with `upstream` built once the origin is known. */
async function startServer(
  upstream: (origin: string) => AuthorizationServerOptions['upstream'],
): Promise<Running> {
  let server: AuthorizationServer | undefined;
  const http: Server = createServer((req, res) => {
    if (server === undefined) res.writeHead(503).end();
    else server.listener(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const resource = `${origin}/mcp`;
  server = await createAuthorizationServer({
    issuer: `${origin}/oauth`,
    storage: createMemoryStorage(),
    resources: [{ resource, scopes: { 'mcp:tools': 'Use the tools' } }],
    registrationRateLimit: false,
    upstream: upstream(origin),
  });
  const running = server;
  return {
    server: running,
    origin,
    resource,
    async close() {
      await running.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** GET or POST on our server with the jar, no redirect following. */
async function request(jar: CookieJar, url: string, form?: Record<string, string>): Promise<Response> {
  const cookie = jar.header(url);
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form) } : {}),
  });
  jar.store(response);
  return response;
}

/** Follows our server's redirects (GET) until a page (200/4xx/5xx) or a redirect leaving it. */
async function follow(
  jar: CookieJar,
  start: string,
  origin: string,
): Promise<{ url: string; response: Response }> {
  let url = start;
  for (let hop = 0; hop < 12; hop++) {
    const response = await request(jar, url);
    const location = response.headers.get('location');
    if (location === null) return { url, response };
    await response.arrayBuffer();
    const next = new URL(location, url);
    if (next.origin !== origin) return { url: next.href, response };
    url = next.href;
  }
  throw new Error('test: too many redirects');
}

function field(page: string, action: string, name: string): string {
  const form = page.split('<form').find((part) => part.includes(`action="${action}"`));
  const value = form && new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1];
  if (value === undefined) throw new Error(`test: no ${name} in the form posting to ${action}`);
  return value;
}

describe('upstream sign-in with a real OpenID Connect provider', () => {
  let idp: UpstreamIdp;
  let as: Running;
  let clientId: string;

  beforeAll(async () => {
    idp = await startUpstreamIdp();
    as = await startServer(() => ({
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      name: 'Test IdP',
      dangerouslyAllowLoopback: true,
    }));
    await idp.configure(`${as.server.issuer}/upstream/callback`);
    const registered = await postJson(`${as.server.issuer}/reg`, {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'MCP client',
    });
    expect(registered.status).toBe(201);
    clientId = registered.body.client_id as string;
  });

  afterAll(async () => {
    await as?.close();
    await idp?.close();
  });

  /** Starts an authorization request and presses "Sign in with Test IdP"; resolves the upstream URL. */
  async function startAtUpstream(jar: CookieJar) {
    const { verifier, challenge } = pkcePair();
    const authorize = new URL(`${as.server.issuer}/auth`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'mcp:tools',
      resource: as.resource,
      state: 'client-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const signIn = await follow(jar, authorize.href, as.origin);
    expect(signIn.response.status).toBe(200);
    const page = await signIn.response.text();
    expect(page).toContain('Sign in with Test IdP');
    expect(signIn.response.headers.get('content-security-policy')).toContain(
      `form-action 'self' http://127.0.0.1:8765 ${idp.issuer}`,
    );
    const action = `${new URL(signIn.url).pathname}/upstream`;
    const started = await request(jar, new URL(action, as.origin).href, {
      csrf: field(page, action, 'csrf'),
    });
    expect(started.status).toBe(303);
    const upstreamUrl = new URL(started.headers.get('location') ?? '');
    expect(upstreamUrl.origin).toBe(idp.issuer);
    return { upstreamUrl, verifier, interaction: signIn.url };
  }

  /** From our callback to the client's redirect URI: consent approved on our page; resolves the code. */
  async function consentAndCode(jar: CookieJar, callback: URL): Promise<string> {
    const consent = await follow(jar, callback.href, as.origin);
    expect(consent.response.status).toBe(200);
    const page = await consent.response.text();
    expect(page).toContain('Use the tools');
    const action = `${new URL(consent.url).pathname}/confirm`;
    const confirmed = await request(jar, new URL(action, as.origin).href, {
      csrf: field(page, action, 'csrf'),
    });
    const done = await follow(
      jar,
      new URL(confirmed.headers.get('location') ?? '', as.origin).href,
      as.origin,
    );
    const redirect = new URL(done.url);
    expect(redirect.origin + redirect.pathname).toBe(REDIRECT);
    expect(redirect.searchParams.get('iss')).toBe(as.server.issuer);
    return redirect.searchParams.get('code') ?? '';
  }

  async function token(code: string, verifier: string) {
    return postForm(`${as.server.issuer}/token`, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
      resource: as.resource,
    });
  }

  it('signs in upstream, maps the subject to a new local account, and issues our token for it', async () => {
    const jar = new CookieJar();
    const { upstreamUrl, verifier } = await startAtUpstream(jar);
    expect(upstreamUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(upstreamUrl.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(upstreamUrl.searchParams.get('redirect_uri')).toBe(`${as.server.issuer}/upstream/callback`);
    const callback = await driveUpstream(upstreamUrl.href, jar, { login: 'alice' });
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    const code = await consentAndCode(jar, callback);
    const { status, body } = await token(code, verifier);
    expect(status).toBe(200);
    const claims = decodeJwt(body.access_token as string);
    const accounts = await as.server.accounts.list();
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({
      username: 'alice',
      passwordHash: '',
      upstream: { issuer: idp.issuer, subject: 'alice' },
    });
    expect(claims.sub).toBe(accounts[0]?.id);
    expect(claims.iss).toBe(as.server.issuer);
    expect(claims.aud).toBe(as.resource);
  });

  it('maps a second sign-in of the same upstream subject to the same account', async () => {
    const jar = new CookieJar();
    const { upstreamUrl, verifier } = await startAtUpstream(jar);
    const callback = await driveUpstream(upstreamUrl.href, jar, { login: 'alice' });
    const { body } = await token(await consentAndCode(jar, callback), verifier);
    const accounts = await as.server.accounts.list();
    expect(accounts).toHaveLength(1);
    expect(decodeJwt(body.access_token as string).sub).toBe(accounts[0]?.id);
  });

  it('refuses a callback whose state was tampered with, and a replayed one', async () => {
    const jar = new CookieJar();
    const { upstreamUrl, verifier } = await startAtUpstream(jar);
    const callback = await driveUpstream(upstreamUrl.href, jar, { login: 'bob' });
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')?.slice(0, -2)}xy`);
    const refused = await request(jar, tampered.href);
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('This sign-in could not be verified');
    expect(page).not.toContain(tampered.searchParams.get('state'));
    expect(await as.server.accounts.list()).toHaveLength(1);
    // The genuine callback still works once, and only once.
    const code = await consentAndCode(jar, callback);
    expect((await token(code, verifier)).status).toBe(200);
    const replay = await request(jar, callback.href);
    expect(replay.status).toBe(400);
  });

  it('finishes nothing when the callback is opened in another browser (login CSRF)', async () => {
    const victim = new CookieJar();
    const attacker = new CookieJar();
    const { upstreamUrl } = await startAtUpstream(attacker);
    const callback = await driveUpstream(upstreamUrl.href, attacker, { login: 'mallory' });
    const landed = await follow(victim, callback.href, as.origin);
    expect(landed.response.status).toBe(400);
    expect(await landed.response.text()).toContain('sign-in has expired');
  });

  it('shows our error page, in plain words, when the user cancels at the upstream (access_denied)', async () => {
    const jar = new CookieJar();
    const { upstreamUrl, interaction } = await startAtUpstream(jar);
    const callback = await driveUpstream(upstreamUrl.href, jar, { login: 'x', abort: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const response = await request(jar, callback.href);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await response.text();
    expect(page).toContain('Sign-in with Test IdP was not completed');
    expect(page).not.toContain(callback.searchParams.get('error_description') ?? 'no description');
    expect(page).toContain(`href="${new URL(interaction).pathname}"`);
  });
});

describe('upstream sign-in when the upstream is down', () => {
  let as: Running;

  beforeAll(async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    as = await startServer(() => ({
      issuer: `http://127.0.0.1:${port}`,
      clientId: 'x',
      allowLocalPassword: false,
      dangerouslyAllowLoopback: true,
    }));
  });

  afterAll(async () => {
    await as?.close();
  });

  it('answers the button with an "unreachable" page, and offers no password form when local sign-in is off', async () => {
    const registered = await postJson(`${as.server.issuer}/reg`, {
      application_type: 'native',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    const { challenge } = pkcePair();
    const authorize = new URL(`${as.server.issuer}/auth`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: registered.body.client_id as string,
      redirect_uri: REDIRECT,
      scope: 'mcp:tools',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const jar = new CookieJar();
    const signIn = await follow(jar, authorize.href, as.origin);
    const page = await signIn.response.text();
    expect(page).toContain(`Sign in with 127.0.0.1:`);
    expect(page).not.toContain('name="password"');
    const base = new URL(signIn.url).pathname;
    const csrf = field(page, `${base}/upstream`, 'csrf');
    const local = await request(jar, new URL(`${base}/login`, as.origin).href, {
      csrf,
      username: 'a',
      password: 'correct horse battery staple',
    });
    expect(local.status).toBe(404);
    const started = await request(jar, new URL(`${base}/upstream`, as.origin).href, { csrf });
    expect(started.status).toBe(502);
    const text = await started.text();
    expect(text).toContain('could not be reached');
    expect(text).not.toContain('ECONNREFUSED');
    const forged = await request(jar, new URL(`${base}/upstream`, as.origin).href, { csrf: 'x'.repeat(43) });
    expect(forged.status).toBe(403);
  });
});
