/**
 * Interop: stock MCP SDK clients (v2 `@modelcontextprotocol/client`, v1 `@modelcontextprotocol/sdk`),
 * with their own OAuth support, against `gatehouse serve --demo` and its embedded authorization
 * server. The SDK reads the Protected Resource Metadata from the 401 challenge, discovers the
 * issuer (RFC 8414), registers itself (RFC 7591), sends the user to our real sign-in and consent
 * pages (Chromium), redeems the code with PKCE and a resource indicator, and calls the demo tools.
 *
 * Only the in-memory provider (storage and "open the browser") is ours; every protocol step is the SDK's.
 */
import { join } from 'node:path';
import { openSqliteStorage } from '@gatehouse/authorization-server';
import {
  Client as ClientV2,
  type OAuthDiscoveryState as DiscoveryV2,
  InsufficientScopeError,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport as TransportV2,
  UnauthorizedError as UnauthorizedErrorV2,
} from '@modelcontextprotocol/client';
import {
  type OAuthDiscoveryState as DiscoveryV1,
  UnauthorizedError as UnauthorizedErrorV1,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPError,
  StreamableHTTPClientTransport as TransportV1,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../packages/gatehouse/src/gateway/start-gateway.js';
import { close, startCallbackListener } from '../browser/harness.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { type DemoGateway, startDemoGatewayWithAccount } from '../support/demo-gateway.js';

const USERNAME = 'owner';
const PASSWORD = 'a long enough password';
const STEP_TIMEOUT = 15_000;
/** Each test runs several browser and SDK steps, each bounded by STEP_TIMEOUT. */
const TEST_TIMEOUT = 90_000;

/** Rejects when `promise` takes longer than `ms`, so that a stuck flow fails its test instead of hanging. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with what `promise` rejected with (fails when it resolves). */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  return within(promise, STEP_TIMEOUT * 2, what).then(
    () => {
      throw new Error(`${what} succeeded; expected it to fail`);
    },
    (error: unknown) => error,
  );
}

/**
 * A minimal in-memory `OAuthClientProvider`, in the shape both SDK majors share. Its
 * `redirectToAuthorization` plays the user agent: it runs `authorize` (Chromium) to the redirect
 * URI, checks `state`, and keeps the callback query for the test to hand to `finishAuth`.
 */
class MemoryOAuthProvider<Tokens, Information, Discovery> {
  private storedTokens: Tokens | undefined;
  private storedInformation: Information | undefined;
  private storedDiscovery: Discovery | undefined;
  private verifier: string | undefined;
  private lastState: string | undefined;
  /** Every authorization URL the SDK sent the user to, in order. */
  readonly authorizationUrls: URL[] = [];
  /** The query of the last callback to the redirect URI. */
  callback: URLSearchParams | undefined;

  constructor(
    readonly redirectUrl: string,
    private readonly authorize: (url: URL) => Promise<URLSearchParams>,
  ) {}

  get clientMetadata() {
    return {
      client_name: 'SDK interop test',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state(): string {
    this.lastState = crypto.randomUUID();
    return this.lastState;
  }
  clientInformation(): Information | undefined {
    return this.storedInformation;
  }
  saveClientInformation(information: Information): void {
    this.storedInformation = information;
  }
  tokens(): Tokens | undefined {
    return this.storedTokens;
  }
  saveTokens(tokens: Tokens): void {
    this.storedTokens = tokens;
  }
  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }
  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('no code verifier saved');
    return this.verifier;
  }
  discoveryState(): Discovery | undefined {
    return this.storedDiscovery;
  }
  saveDiscoveryState(state: Discovery): void {
    this.storedDiscovery = state;
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrls.push(url);
    const callback = await this.authorize(url);
    // Neither SDK checks `state` (the v2 docs say so): that is the application's job.
    expect(callback.get('state')).toBe(this.lastState);
    this.callback = callback;
  }
}

/** The scopes in a space-separated list (or an authorization URL's `scope`), sorted. */
function scopesOf(value: URL | string | undefined): string[] {
  const list = value instanceof URL ? value.searchParams.get('scope') : value;
  return (list ?? '').split(' ').filter(Boolean).sort();
}

/** The one method of either SDK's `Client` that the tool calls use. */
interface ToolCaller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}

interface WhoAmI {
  subject: string | null;
  client_id: string | null;
  scopes: string[];
}

describe('stock MCP SDK clients with their own OAuth support against gatehouse serve --demo', () => {
  let demo: DemoGateway | undefined;
  let gateway: RunningGateway;
  let accountId: string;
  let browser: TestBrowser;
  let page: Page;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;

  beforeAll(async () => {
    // The first account, made the way an operator makes it: the one-time setup URL's form.
    demo = await startDemoGatewayWithAccount({ username: USERNAME, password: PASSWORD });
    gateway = demo.gateway;
    // The account's id (the tokens' `sub`), read from the gateway's own database file.
    const storage = openSqliteStorage({ path: join(demo.dataDir, 'gatehouse.db') });
    try {
      accountId = (await storage.accounts.findByUsername(USERNAME))?.id ?? '';
    } finally {
      await storage.close();
    }
    expect(accountId).toBeTruthy();
    callback = await startCallbackListener();
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (callback) await close(callback.server);
    await demo?.close();
  });

  /**
   * The user in Chromium: signs in when asked (the session cookie may already exist), approves
   * the consent page, and lands on the loopback redirect URI with `code`, `state` and `iss`.
   */
  /**
   * Authorizes in the browser, but narrows the first request to `mcp:read` on its way to the
   * server, standing in for a user or server that grants less than was asked (RFC 6749 §3.3).
   */
  function narrowFirstToRead(): (url: URL) => Promise<URLSearchParams> {
    let narrowed = false;
    return async (url) => {
      if (narrowed) return authorizeInBrowser(url);
      narrowed = true;
      const narrow = new URL(url);
      narrow.searchParams.set('scope', 'mcp:read');
      return authorizeInBrowser(narrow);
    };
  }

  async function authorizeInBrowser(url: URL): Promise<URLSearchParams> {
    expect(url.origin + url.pathname).toBe(`${gateway.issuer}/auth`);
    const arrived = callback.next();
    await page.goto(url.href);
    if ((await page.locator('h1').textContent()) === 'Sign in') {
      await page.getByLabel('Username').fill(USERNAME);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor({ timeout: STEP_TIMEOUT });
    await page.getByRole('button', { name: 'Approve' }).click();
    const query = await within(arrived, STEP_TIMEOUT, 'the redirect back to the client');
    expect(query.get('iss')).toBe(gateway.issuer); // RFC 9207
    expect(query.get('code')).toBeTruthy();
    return query;
  }

  /** What every SDK authorization request must carry (MCP authorization, OAuth 2.1, RFC 8707). */
  function expectAuthorizationRequest(url: URL | undefined): string {
    expect(url?.searchParams.get('response_type')).toBe('code');
    expect(url?.searchParams.get('resource')).toBe(gateway.mcpUrl);
    expect(url?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url?.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url?.searchParams.get('redirect_uri')).toBe(callback.redirectUri);
    const clientId = url?.searchParams.get('client_id');
    if (!clientId) throw new Error('the authorization request carries no client_id');
    return clientId;
  }

  async function whoami(client: ToolCaller): Promise<WhoAmI> {
    const result = await within(client.callTool({ name: 'whoami', arguments: {} }), STEP_TIMEOUT, 'whoami');
    return (result as { structuredContent: WhoAmI }).structuredContent;
  }

  const addNote = (client: ToolCaller): Promise<unknown> =>
    client.callTool({ name: 'add_note', arguments: { note: 'from the SDK' } });

  describe('SDK v2 (@modelcontextprotocol/client)', () => {
    const newProvider = (authorize = authorizeInBrowser) =>
      new MemoryOAuthProvider<StoredOAuthTokens, StoredOAuthClientInformation, DiscoveryV2>(
        callback.redirectUri,
        authorize,
      );

    /** The documented interactive flow: connect → UnauthorizedError → finishAuth → connect again. */
    async function signIn(provider: ReturnType<typeof newProvider>): Promise<ClientV2> {
      const first = new ClientV2({ name: 'sdk-v2-interop', version: '1.0.0' });
      const transport = new TransportV2(new URL(gateway.mcpUrl), { authProvider: provider });
      expect(await rejection(first.connect(transport), 'the first connect')).toBeInstanceOf(
        UnauthorizedErrorV2,
      );
      if (provider.callback === undefined) throw new Error('the browser flow reached no callback');
      // v2 reads `code` and `iss` from the callback and checks `iss` against the issuer (RFC 9207).
      await within(transport.finishAuth(provider.callback), STEP_TIMEOUT, 'finishAuth');
      await first.close();
      const client = new ClientV2({ name: 'sdk-v2-interop', version: '1.0.0' });
      await within(
        client.connect(new TransportV2(new URL(gateway.mcpUrl), { authProvider: provider })),
        STEP_TIMEOUT,
        'the second connect',
      );
      return client;
    }

    it(
      'registers, signs the user in through our pages, and calls whoami as that user',
      async () => {
        const provider = newProvider();
        const client = await signIn(provider);
        try {
          expect(provider.authorizationUrls).toHaveLength(1);
          const clientId = expectAuthorizationRequest(provider.authorizationUrls[0]);
          // Our 401 carries no `scope`, so the SDK asks for all of the PRM's scopes_supported (MCP
          // Scope Selection Strategy), plus offline_access because the AS metadata lists it (SEP-2207).
          expect(scopesOf(provider.authorizationUrls[0])).toEqual([
            'mcp:read',
            'mcp:write',
            'offline_access',
          ]);
          expect(provider.tokens()?.refresh_token).toBeTruthy();
          const who = await whoami(client);
          expect(who.subject).toBe(accountId);
          expect(who.client_id).toBe(clientId);
          // offline_access asks for the refresh token; it is not a permission at the MCP server.
          expect([...who.scopes].sort()).toEqual(['mcp:read', 'mcp:write']);
          expect(await within(addNote(client), STEP_TIMEOUT, 'add_note')).toMatchObject({
            content: [{ type: 'text', text: expect.stringMatching(/^stored note \d+$/) }],
          });
        } finally {
          await client.close();
        }
      },
      TEST_TIMEOUT,
    );

    it(
      'steps up on 403 insufficient_scope when the first grant lacked mcp:write',
      async () => {
        // The first authorization is narrowed to mcp:read before it reaches the server, standing in
        // for a user or server that grants less than the client asked for (RFC 6749 §3.3).
        const provider = newProvider(narrowFirstToRead());
        const client = await signIn(provider);
        try {
          expect(scopesOf(provider.tokens()?.scope)).toEqual(['mcp:read']);
          expect((await whoami(client)).scopes).toEqual(['mcp:read']);

          // With step-up turned off the SDK surfaces our 403 challenge as InsufficientScopeError.
          const strict = new ClientV2({ name: 'sdk-v2-interop-strict', version: '1.0.0' });
          await within(
            strict.connect(
              new TransportV2(new URL(gateway.mcpUrl), {
                authProvider: provider,
                onInsufficientScope: 'throw',
              }),
            ),
            STEP_TIMEOUT,
            'connect (strict)',
          );
          const refused = await rejection(addNote(strict), 'add_note with mcp:read');
          await strict.close();
          expect(refused).toBeInstanceOf(InsufficientScopeError);
          expect((refused as InsufficientScopeError).requiredScope).toBe('mcp:write');
          expect((refused as InsufficientScopeError).resourceMetadataUrl?.href).toBe(gateway.metadataUrl);

          // By default the SDK re-authorizes with the union of what it asked for and the challenge
          // (SEP-2350), bypassing the refresh token since refresh cannot widen scope.
          expect(await rejection(addNote(client), 'add_note before step-up')).toBeInstanceOf(
            UnauthorizedErrorV2,
          );
          expect(provider.authorizationUrls).toHaveLength(2);
          const stepUp = provider.authorizationUrls[1];
          expectAuthorizationRequest(stepUp);
          expect(scopesOf(stepUp)).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write']));
          if (provider.callback === undefined) throw new Error('the step-up reached no callback');
          await within(
            (client.transport as TransportV2).finishAuth(provider.callback),
            STEP_TIMEOUT,
            'finishAuth (step-up)',
          );
          expect(scopesOf(provider.tokens()?.scope)).toEqual(
            expect.arrayContaining(['mcp:read', 'mcp:write']),
          );
          expect(await within(addNote(client), STEP_TIMEOUT, 'add_note after step-up')).toMatchObject({
            content: [{ type: 'text', text: expect.stringMatching(/^stored note \d+$/) }],
          });
          expect((await whoami(client)).subject).toBe(accountId);
        } finally {
          await client.close();
        }
      },
      TEST_TIMEOUT,
    );
  });

  describe('SDK v1 (@modelcontextprotocol/sdk)', () => {
    const newProvider = (authorize = authorizeInBrowser) =>
      new MemoryOAuthProvider<OAuthTokens, OAuthClientInformationMixed, DiscoveryV1>(
        callback.redirectUri,
        authorize,
      );

    /** The documented interactive flow: connect → UnauthorizedError → finishAuth(code) → connect again. */
    async function signIn(provider: ReturnType<typeof newProvider>): Promise<ClientV1> {
      const first = new ClientV1({ name: 'sdk-v1-interop', version: '1.0.0' });
      const transport = new TransportV1(new URL(gateway.mcpUrl), { authProvider: provider });
      expect(await rejection(first.connect(transport), 'the first connect')).toBeInstanceOf(
        UnauthorizedErrorV1,
      );
      if (provider.callback === undefined) throw new Error('the browser flow reached no callback');
      // v1's finishAuth takes only the code: it does not check `iss` (RFC 9207); authorizeInBrowser does.
      await within(transport.finishAuth(provider.callback.get('code') ?? ''), STEP_TIMEOUT, 'finishAuth');
      await first.close();
      const client = new ClientV1({ name: 'sdk-v1-interop', version: '1.0.0' });
      await within(
        client.connect(new TransportV1(new URL(gateway.mcpUrl), { authProvider: provider })),
        STEP_TIMEOUT,
        'the second connect',
      );
      return client;
    }

    it(
      'registers, signs the user in through our pages, and calls whoami as that user',
      async () => {
        const provider = newProvider();
        const client = await signIn(provider);
        try {
          expect(provider.authorizationUrls).toHaveLength(1);
          const clientId = expectAuthorizationRequest(provider.authorizationUrls[0]);
          // v1 also falls back to all of scopes_supported, but does not add offline_access.
          expect(scopesOf(provider.authorizationUrls[0])).toEqual(['mcp:read', 'mcp:write']);
          const who = await whoami(client);
          expect(who.subject).toBe(accountId);
          expect(who.client_id).toBe(clientId);
          expect([...who.scopes].sort()).toEqual(['mcp:read', 'mcp:write']);
          expect(await within(addNote(client), STEP_TIMEOUT, 'add_note')).toMatchObject({
            content: [{ type: 'text', text: expect.stringMatching(/^stored note \d+$/) }],
          });
        } finally {
          await client.close();
        }
      },
      TEST_TIMEOUT,
    );

    it(
      'cannot step up past a refresh token: 403 insufficient_scope ends in an error (SDK v1 limitation)',
      async () => {
        // As in the v2 step-up test, the first grant is narrowed to mcp:read (RFC 6749 §3.3).
        const provider = newProvider(narrowFirstToRead());
        const client = await signIn(provider);
        try {
          const before = provider.tokens();
          expect(scopesOf(before?.scope)).toEqual(['mcp:read']);
          expect(before?.refresh_token).toBeTruthy();
          // v1 answers the 403 by calling auth() with the challenged scope, but auth() prefers the
          // refresh token, and a refresh cannot widen scope (RFC 6749 §6): our server refreshes to
          // mcp:read again, the retry gets the same challenge, and v1 gives up. No new authorization
          // request is made. (v2 fixes this: it skips the refresh when the scope must grow.)
          const refused = await rejection(addNote(client), 'add_note with mcp:read');
          expect(refused).toBeInstanceOf(StreamableHTTPError);
          expect((refused as StreamableHTTPError).code).toBe(403);
          expect(provider.authorizationUrls).toHaveLength(1);
          const after = provider.tokens();
          expect(after?.access_token).not.toBe(before?.access_token); // the refresh did happen
          expect(scopesOf(after?.scope)).toEqual(['mcp:read']); // and did not widen the grant
          expect((await whoami(client)).scopes).toEqual(['mcp:read']);
        } finally {
          await client.close();
        }
      },
      TEST_TIMEOUT,
    );
  });
});
