/**
 * Issue 4 item 7, as one property: every way an `authFetch` call can fail reaches the caller as its
 * typed error, and no error (message, stack, fields, causes) holds a token, secret, code, verifier
 * or device code — whatever their values. A small MCP server + authorization server on 127.0.0.1
 * (node:http) misbehaves in one way per scenario; fast-check draws the scenario and fresh secret
 * values for each run, the server hands those secrets out, and the test scans what reaches it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuthError, ProtocolError } from '@gatehouse/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationDenied, AuthorizationTimeout } from '../authorize/errors.js';
import { RegistrationImpossible } from '../registration/registration-impossible.js';
import { createMemoryStore } from '../store/memory-store.js';
import { type AuthFetchOptions, authFetch } from './auth-fetch.js';
import { AuthorizationRejectedError, AuthorizationRequiredError, StepUpLimitError } from './errors.js';

/** The secret values of one run, handed out by the server or given to the client. */
interface Secrets {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly clientSecret: string;
  readonly code: string;
  readonly deviceCode: string;
  readonly preRegisteredSecret: string;
}

/** How the world misbehaves in one run. */
interface Behavior {
  prmResource?: string;
  issuer?: string;
  noRegistration?: boolean;
  device?: 'access_denied' | 'expired_token';
  user?: 'deny' | 'wrong-state' | 'wrong-iss' | 'nothing' | 'approve';
  tokenError?: string;
  mcp?: 'always-401' | 'always-403';
}

let server: Server;
let origin: string;
let mcpUrl: string;
let secrets: Secrets;
let behavior: Behavior = {};
/** Values the client generated and sent (the PKCE verifier, the state): secret too. */
let captured: string[] = [];

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function metadata() {
  return {
    issuer: behavior.issuer ?? origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    ...(behavior.noRegistration ? {} : { registration_endpoint: `${origin}/register` }),
    ...(behavior.device === undefined ? {} : { device_authorization_endpoint: `${origin}/device` }),
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    scopes_supported: ['mcp:read', 'mcp:write'],
  };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', origin);
  const body = req.method === 'POST' ? await readBody(req) : '';
  switch (url.pathname) {
    case '/mcp': {
      const bearer = req.headers.authorization;
      if (behavior.mcp === 'always-403' && bearer !== undefined) {
        return send(
          res,
          403,
          {},
          {
            'www-authenticate': 'Bearer error="insufficient_scope", scope="mcp:read mcp:write"',
          },
        );
      }
      if (behavior.mcp !== 'always-401' && bearer === `Bearer ${secrets.accessToken}`) {
        return send(res, 200, { jsonrpc: '2.0', id: 1, result: {} });
      }
      return send(
        res,
        401,
        {},
        {
          'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
        },
      );
    }
    case '/.well-known/oauth-protected-resource/mcp':
      return send(res, 200, { resource: behavior.prmResource ?? mcpUrl, authorization_servers: [origin] });
    case '/.well-known/oauth-authorization-server':
      return send(res, 200, metadata());
    case '/register': {
      const asked = JSON.parse(body) as Record<string, unknown>;
      return send(res, 201, {
        ...asked,
        client_id: 'client-of-this-run',
        client_secret: secrets.clientSecret,
        client_secret_expires_at: 0,
        token_endpoint_auth_method: 'client_secret_post',
      });
    }
    case '/device':
      return send(res, 200, {
        device_code: secrets.deviceCode,
        user_code: 'WXYZ-BCDF',
        verification_uri: `${origin}/verify`,
        expires_in: 600,
        interval: 1,
      });
    case '/token': {
      const form = new URLSearchParams(body);
      for (const name of ['code_verifier', 'client_secret', 'refresh_token', 'device_code', 'code']) {
        const value = form.get(name);
        if (value) captured.push(value);
      }
      if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code') {
        return send(res, 400, { error: behavior.device });
      }
      if (form.get('grant_type') === 'refresh_token' || behavior.tokenError !== undefined) {
        return send(res, 400, {
          error: behavior.tokenError ?? 'invalid_grant',
          error_description: 'refused',
        });
      }
      return send(res, 200, {
        access_token: secrets.accessToken,
        refresh_token: secrets.refreshToken,
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'mcp:read',
      });
    }
    default:
      return send(res, 404, { error: 'not_found' });
  }
}

/** The user at the browser: answers the loopback redirect URI as `behavior.user` says. */
async function userAt(authorizationUrl: URL): Promise<void> {
  const state = authorizationUrl.searchParams.get('state') ?? '';
  captured.push(state);
  const redirect = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '');
  const iss = origin;
  const answers: Record<string, Record<string, string> | undefined> = {
    deny: { error: 'access_denied', state, iss },
    'wrong-state': { code: secrets.code, state: `${state}x`, iss },
    'wrong-iss': { code: secrets.code, state, iss: 'https://mix-up.example' },
    approve: { code: secrets.code, state, iss },
    nothing: undefined,
  };
  const answer = answers[behavior.user ?? 'approve'];
  if (answer === undefined) return;
  for (const [name, value] of Object.entries(answer)) redirect.searchParams.set(name, value);
  await (await fetch(redirect)).arrayBuffer();
}

/** One failure path: how the world misbehaves, the client's options, and the error expected. */
interface Scenario {
  readonly name: string;
  readonly behavior: Behavior;
  readonly options?: Partial<AuthFetchOptions>;
  /** Tokens stored beforehand (a refresh is attempted with them). */
  readonly storedTokens?: boolean;
  readonly expected: (error: unknown) => boolean;
}

const attribute = (error: unknown, name: string) =>
  error instanceof ProtocolError && !(error instanceof RegistrationImpossible) && error.attribute === name;

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'authorization required (interactive: false)',
    behavior: {},
    options: { interactive: false },
    storedTokens: true,
    expected: (error) => error instanceof AuthorizationRequiredError,
  },
  {
    name: 'user denied (browser)',
    behavior: { user: 'deny' },
    expected: (e) => e instanceof AuthorizationDenied,
  },
  {
    name: 'user denied (device)',
    behavior: { device: 'access_denied' },
    options: { flow: 'device' },
    expected: (error) => error instanceof AuthorizationDenied,
  },
  {
    name: "user denied (device, chosen by 'auto' in an SSH session: no fallback once the code was shown)",
    behavior: { device: 'access_denied' },
    options: {
      authorization: {
        onDeviceAuthorization: () => {},
        sleep: async () => {},
        env: { SSH_TTY: '/dev/pts/0' },
        platform: 'linux',
        stderr: { write: () => true },
      },
    },
    expected: (error) => error instanceof AuthorizationDenied,
  },
  {
    name: 'registration impossible',
    behavior: { noRegistration: true },
    expected: (error) => error instanceof RegistrationImpossible,
  },
  {
    name: 'resource mismatch',
    behavior: { prmResource: 'http://127.0.0.1:1/other' },
    expected: (error) => attribute(error, 'resource'),
  },
  {
    name: 'issuer mismatch',
    behavior: { issuer: 'http://127.0.0.1:1/not-this-one' },
    expected: (error) => attribute(error, 'issuer'),
  },
  { name: 'state mismatch', behavior: { user: 'wrong-state' }, expected: (e) => attribute(e, 'state') },
  { name: 'iss mismatch (RFC 9207)', behavior: { user: 'wrong-iss' }, expected: (e) => attribute(e, 'iss') },
  {
    name: 'timeout (browser)',
    behavior: { user: 'nothing' },
    expected: (error) => error instanceof AuthorizationTimeout,
  },
  {
    name: 'timeout (device code expired)',
    behavior: { device: 'expired_token' },
    options: { flow: 'device' },
    expected: (error) => error instanceof AuthorizationTimeout,
  },
  {
    name: 'code refused at the token endpoint',
    behavior: { tokenError: 'invalid_grant' },
    expected: (error) => error instanceof OAuthError && error.error === 'invalid_grant',
  },
  {
    name: 'server rejects the fresh token (after a refused refresh)',
    behavior: { mcp: 'always-401' },
    storedTokens: true,
    expected: (error) => error instanceof AuthorizationRejectedError,
  },
  {
    name: 'step-up limit',
    behavior: { mcp: 'always-403' },
    options: { maxStepUps: 1 },
    expected: (error) => error instanceof StepUpLimitError,
  },
  {
    name: 'pre-registered client bound to another issuer',
    behavior: {},
    options: { preRegistered: { clientId: 'pre', clientSecret: 'x', issuer: 'https://elsewhere.example' } },
    expected: (error) => attribute(error, 'issuer'),
  },
];

/** Every text an error carries: messages, stacks and enumerable fields, down its `cause` chain. */
function textsOf(error: unknown): string[] {
  const texts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth += 1) {
    texts.push(String(current));
    if (current instanceof Error) {
      texts.push(current.message, current.stack ?? '');
      texts.push(
        JSON.stringify({ ...current }, (_key, value) => (typeof value === 'bigint' ? String(value) : value)),
      );
    }
    current = (current as { cause?: unknown }).cause;
  }
  return texts;
}

const secretArbitrary = (prefix: string) =>
  fc.stringMatching(/^[A-Za-z0-9_-]{24,48}$/).map((value) => `${prefix}${value}`);

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mcpUrl = `${origin}/mcp`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const drawSecrets = fc.record({
  accessToken: secretArbitrary('at.'),
  refreshToken: secretArbitrary('rt.'),
  clientSecret: secretArbitrary('cs.'),
  code: secretArbitrary('code.'),
  deviceCode: secretArbitrary('dc.'),
  preRegisteredSecret: secretArbitrary('ps.'),
});

/** Runs one `authFetch` call in `scenario` with the drawn secrets; returns what it rejected with. */
async function failureOf(scenario: Scenario, drawn: Secrets): Promise<unknown> {
  secrets = drawn;
  behavior = scenario.behavior;
  captured = [];
  const store = createMemoryStore();
  if (scenario.storedTokens) {
    const key = { issuer: origin, resource: mcpUrl, clientId: 'client-of-this-run' };
    await store.setClient(origin, {
      issuer: origin,
      method: 'dynamic',
      clientId: key.clientId,
      clientSecret: drawn.clientSecret,
      clientSecretExpiresAt: 0,
      tokenEndpointAuthMethod: 'client_secret_post',
      redirectUris: ['http://127.0.0.1/callback'],
    });
    await store.set(key, {
      access_token: `${drawn.accessToken}-old`,
      refresh_token: drawn.refreshToken,
      token_type: 'Bearer',
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      issuer: key.issuer,
      resource: key.resource,
      client_id: key.clientId,
    });
  }
  const preRegistered = scenario.options?.preRegistered;
  const fetchFn = authFetch({
    serverUrl: mcpUrl,
    store,
    policy: { allowLoopback: true },
    authorization: {
      onAuthorizationUrl: userAt,
      onDeviceAuthorization: () => {},
      sleep: async () => {},
      listener: { timeoutMs: 300 },
      stderr: { write: () => true },
    },
    ...scenario.options,
    ...(preRegistered === undefined
      ? {}
      : { preRegistered: { ...preRegistered, clientSecret: drawn.preRegisteredSecret } }),
  });
  return fetchFn(mcpUrl, { method: 'POST', body: '{}' }).then(
    (response) => new Error(`test: the call succeeded with HTTP ${response.status}`),
    (caught: unknown) => caught,
  );
}

describe('authFetch failures (issue 4 item 7): a typed error, and no secret value in it', () => {
  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    await fc.assert(
      fc.asyncProperty(drawSecrets, async (drawn) => {
        const error = await failureOf(scenario, drawn);
        expect(scenario.expected(error), `got ${String(error)}`).toBe(true);
        const texts = textsOf(error).join('\n');
        const values = [...Object.values(drawn), ...captured].filter((value) => value.length >= 16);
        for (const value of values) {
          expect(texts.includes(value), `a secret value (${value.slice(0, 4)}…) is in the error`).toBe(false);
        }
      }),
      { numRuns: 4 },
    );
  });

  it('the scenarios send the secrets they are meant to (the scan is not vacuous)', async () => {
    const drawn = fc.sample(drawSecrets, 1)[0] as Secrets;
    const byName = new Map(SCENARIOS.map((scenario) => [scenario.name, scenario]));
    await failureOf(byName.get('code refused at the token endpoint') as Scenario, drawn);
    expect(captured).toContain(drawn.code);
    expect(captured).toContain(drawn.clientSecret);
    expect(captured.some((value) => /^[A-Za-z0-9_-]{43,128}$/.test(value))).toBe(true); // the PKCE verifier
    await failureOf(
      byName.get('server rejects the fresh token (after a refused refresh)') as Scenario,
      drawn,
    );
    expect(captured).toContain(drawn.refreshToken);
    await failureOf(byName.get('user denied (device)') as Scenario, drawn);
    expect(captured).toContain(drawn.deviceCode);
  });
});
