/**
 * A bare node-oidc-provider on 127.0.0.1 playing the upstream OpenID Connect provider of the
 * upstream sign-in tests, with its development interactions (a login form accepting any login,
 * then a consent form), and a driver that fills them in over plain HTTP with a cookie jar.
 *
 * Its cookies have their own names: both servers run on 127.0.0.1 and cookies ignore ports.
 * Test code only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { CookieJar } from './authorization-server-helpers.js';

/** The running upstream. */
export interface UpstreamIdp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Registers the redirect URI of the client (known only once our server listens) and starts the provider. */
  configure(redirectUri: string): Promise<void>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0; the provider is created by `configure`. */
export async function startUpstreamIdp(): Promise<UpstreamIdp> {
  let provider: Provider | undefined;
  const http: Server = createServer((req, res) => {
    if (provider === undefined) res.writeHead(503).end();
    else provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(32).toString('base64url');
  return {
    issuer,
    clientId: 'gatehouse-at-upstream',
    clientSecret,
    async configure(redirectUri) {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: 'upstream-1', alg: 'ES256', use: 'sig' };
      provider = new Provider(issuer, {
        clients: [
          {
            client_id: 'gatehouse-at-upstream',
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            id_token_signed_response_alg: 'ES256',
          },
        ],
        jwks: { keys: [jwk] },
        cookies: {
          keys: [randomBytes(32).toString('base64url')],
          names: { session: '_up_session', interaction: '_up_interaction', resume: '_up_resume' },
        },
        claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'] },
        scopes: ['openid', 'profile', 'email'],
        features: { devInteractions: { enabled: true } },
        ttl: {
          Interaction: 600,
          Session: 3600,
          Grant: 3600,
          AccessToken: 600,
          IdToken: 600,
          AuthorizationCode: 60,
        },
        // The login typed into the dev form is the subject; the claims are derived from it.
        findAccount: async (_ctx, sub) => ({
          accountId: sub,
          claims: () => ({ sub, preferred_username: sub, email: `${sub}@upstream.example` }),
        }),
      });
      // node-oidc-provider prints unhandled errors unless someone listens.
      (provider as unknown as NodeJS.EventEmitter).on('server_error', () => undefined);
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** The first `<form>`'s action and its hidden fields (enough for the dev interaction pages). */
function readForm(page: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  if (action === undefined) throw new Error(`test: no form in the upstream page: ${page.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const match of page.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    fields[match[1] as string] = match[2] as string;
  }
  return { action: action.replaceAll('&amp;', '&'), fields };
}

/**
 * Drives the upstream from its authorization URL: follows redirects with `jar`, signs in as
 * `login` on the login form, approves the consent form (or, with `abort`, cancels at login), and
 * resolves with the first URL that leaves the upstream (our callback).
 */
export async function driveUpstream(
  start: string,
  jar: CookieJar,
  options: { login: string; abort?: boolean },
): Promise<URL> {
  let url = start;
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  const origin = new URL(start).origin;
  for (let hop = 0; hop < 20; hop++) {
    const cookie = jar.header(url);
    const response = await fetch(url, {
      method: init.method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.body ? { body: init.body } : {}),
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (location !== null) {
      await response.arrayBuffer();
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next.href;
      init = { method: 'GET' };
      continue;
    }
    const page = await response.text();
    if (response.status !== 200)
      throw new Error(`test: upstream answered ${response.status}: ${page.slice(0, 300)}`);
    const { action, fields } = readForm(page);
    if (options.abort && fields.prompt === 'login') {
      url = new URL(`${new URL(action, url).pathname}/abort`, url).href;
      init = { method: 'GET' };
      continue;
    }
    const body = new URLSearchParams(fields);
    if (fields.prompt === 'login') {
      body.set('login', options.login);
      body.set('password', 'anything');
    }
    url = new URL(action, url).href;
    init = { method: 'POST', body };
  }
  throw new Error('test: too many hops at the upstream');
}
