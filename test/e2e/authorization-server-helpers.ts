/**
 * Helpers of the authorization server e2e tests: a real HTTP server on 127.0.0.1, a cookie jar,
 * a manual redirect follower, DCR and token requests, and a test-only interaction driver that
 * completes login and consent programmatically through the provider's interaction API (the way
 * the interaction pages do, without HTML).
 *
 * Test code only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
} from '@gatehouse/authorization-server';
import type { Interaction, Provider } from 'oidc-provider';
import { CookieJar } from '../support/cookie-jar.ts';

/** A running server under test. */
export interface TestAs {
  readonly origin: string;
  readonly issuer: string;
  readonly port: number;
  readonly server: AuthorizationServer;
  /** The account the interaction driver signs in as (set it before an authorization request). */
  accountId: string | undefined;
  /** Scopes the driver refuses to grant (consent of a subset), per resource. */
  close(): Promise<void>;
}

/** Options of {@link startTestAs}: everything but the issuer (known only once listening). */
export type TestAsOptions = Omit<AuthorizationServerOptions, 'issuer'> & { port?: number };

/**
 * Completes the provider's interaction programmatically: `login` with `as.accountId`, `consent`
 * granting every missing scope (OIDC and per resource), as the consent page would on "approve".
 */
async function driveInteraction(as: TestAs, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { provider } = as.server;
  const details = await provider.interactionDetails(req, res);
  const accountId = as.accountId;
  if (accountId === undefined) throw new Error('test: set as.accountId first');
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grantId = await grantMissingScopes(provider, details, accountId);
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/**
 * The consent step of a programmatic interaction: adds every scope the prompt says is missing (OIDC
 * and per resource) to the interaction's grant, or to a new one for `accountId`; resolves its id.
 */
export async function grantMissingScopes(
  provider: Provider,
  details: Interaction,
  accountId: string,
): Promise<string> {
  const grant =
    details.grantId === undefined
      ? new provider.Grant({ accountId, clientId: String(details.params.client_id) })
      : await provider.Grant.find(details.grantId);
  if (grant === undefined) throw new Error('test: grant not found');
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant.save();
}

/** Starts an authorization server on 127.0.0.1 (port 0 unless given) with issuer `<origin>/oauth`. */
export async function startTestAs(options: TestAsOptions): Promise<TestAs> {
  const { port: wanted = 0, ...rest } = options;
  let as: TestAs | undefined;
  const http: Server = createServer((req, res) => {
    if (as === undefined) {
      res.writeHead(503).end();
      return;
    }
    const current = as;
    // Without the provider's interaction cookie the request goes to the real interaction routes.
    const hasInteraction = /(^|;\s*)_interaction=/.test(req.headers.cookie ?? '');
    if (req.method === 'GET' && hasInteraction && /^\/oauth\/interaction\/[^/?]+(\?|$)/.test(req.url ?? '')) {
      driveInteraction(current, req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    current.server.listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(wanted, '127.0.0.1', resolve);
  });
  const port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const server = await createAuthorizationServer({ ...rest, issuer: `${origin}/oauth` });
  as = {
    origin,
    issuer: server.issuer,
    port,
    server,
    accountId: undefined,
    async close() {
      await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return as;
}

/** The cookie jar moved to test/support (benchmarks use it too); re-exported for these tests. */
export { CookieJar };

/** A PKCE pair (RFC 7636, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Follows redirects by hand (with cookies) until one leaves the server; returns that URL, or the last response. */
export async function followAuthorization(
  start: string,
  origin: string,
  jar = new CookieJar(),
): Promise<{ location: URL | undefined; response: Response }> {
  let url = start;
  for (let hop = 0; hop < 12; hop += 1) {
    const cookie = jar.header(url);
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null)
      return { location: undefined, response };
    const next = new URL(location, url);
    await response.arrayBuffer();
    if (next.origin !== origin) return { location: next, response };
    url = next.href;
  }
  throw new Error('test: too many redirects');
}

/** POSTs a form, optionally with HTTP Basic client authentication. */
export async function postForm(
  url: string,
  form: Record<string, string | undefined>,
  basic?: { id: string; secret: string },
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined) params.set(key, value);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    const credentials = `${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const response = await fetch(url, { method: 'POST', headers, body: params });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

/** POSTs JSON (dynamic client registration). */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
