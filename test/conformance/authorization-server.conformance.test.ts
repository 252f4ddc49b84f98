/**
 * External check (issue 3, item 7): `@modelcontextprotocol/conformance authorization --url <issuer>`
 * against `createAuthorizationServer` on loopback, both scenarios
 * (`authorization-server-metadata-endpoint`, `authorization-code-grant`).
 *
 * The suite runs as a child process under the loopback network guard (`../shared/tools/loopback-guard.mjs`
 * beside the repository, when present). Its authorization-code scenario prints an authorization
 * URL and waits for the callback on `http://127.0.0.1:<port>/callback`: this test reads that URL
 * from the child's stdout and completes it in headless Chromium (sign in, approve). The suite's
 * request names neither `resource` nor `scope` (no `--resource`): the server's default resource and
 * default scope (RFC 6749 §3.3, provider/default-scope.ts) make it succeed. The verdict is
 * read from the `checks.json` file the suite writes per scenario (`--output-dir`), and compared with
 * `authorization-expected-failures.json`, which may only shrink.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  createMemoryStorage,
} from '@gatehouse/authorization-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const LOOPBACK_GUARD = resolve(REPO_ROOT, '../shared/tools/loopback-guard.mjs');
const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant'] as const;
const USERNAME = 'conformance';
const PASSWORD = 'a long conformance passphrase';
const SUITE_TIMEOUT_MS = 120_000;

/** One check as the suite writes it in checks.json. */
interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** An entry of authorization-expected-failures.json. */
interface ExpectedFailure {
  scenario: string;
  check: string;
  reason: string;
}

/** A port that was free a moment ago (the suite binds its callback listener itself). */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

describe('MCP conformance suite, authorization mode, against the embedded authorization server', () => {
  let http: Server;
  let as: AuthorizationServer;
  let issuer: string;
  let resource: string;
  let browser: TestBrowser | undefined;
  let outputDir: string;
  let child: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    let current: AuthorizationServer | undefined;
    http = createServer((req, res) => {
      if (current === undefined) res.writeHead(503).end();
      else current.listener(req, res);
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    resource = `${origin}/mcp`;
    current = as = await createAuthorizationServer({
      issuer: `${origin}/oauth`,
      storage: createMemoryStorage(),
      resources: [{ resource, name: 'Conformance MCP server', scopes: { 'mcp:tools': 'Use the tools' } }],
    });
    issuer = as.issuer;
    await as.accounts.create(USERNAME, PASSWORD);
    outputDir = await mkdtemp(join(tmpdir(), 'gatehouse-conformance-'));
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await browser?.close();
    await as?.close();
    http?.closeAllConnections();
    await new Promise<void>((done) => (http ? http.close(() => done()) : done()));
    if (outputDir) await rm(outputDir, { recursive: true, force: true });
  });

  /** Registers a public native client (RFC 7591) whose redirect URI is the suite's callback. */
  async function registerClient(port: number): Promise<string> {
    const response = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'MCP conformance suite',
        application_type: 'native',
        redirect_uris: [`http://127.0.0.1:${port}/callback`],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  /** Signs in and approves in Chromium; resolves once the suite's callback page has loaded. */
  async function completeInBrowser(authorizationUrl: string, callbackOrigin: string): Promise<void> {
    if (browser === undefined) throw new Error('test: no browser');
    const page = await browser.context.newPage();
    try {
      await page.goto(authorizationUrl);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Username').fill(USERNAME);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForURL((url) => url.origin === callbackOrigin);
    } finally {
      await page.close();
    }
  }

  /** Runs the suite; resolves its exit code and output once it has exited (or rejects on timeout). */
  async function runSuite(args: string[], callbackOrigin: string): Promise<{ code: number; output: string }> {
    const env = { ...process.env };
    if (existsSync(LOOPBACK_GUARD)) {
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${LOOPBACK_GUARD}`.trim();
    }
    const spawned = spawn(process.execPath, [CLI, 'authorization', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    let output = '';
    const browserSteps: Promise<void>[] = [];
    const endpoint = `${issuer}/auth?`;
    // The authorization-code scenario prints the URL to open on a line of its own, then starts its
    // callback listener: the browser step begins once both have been seen.
    let authorizationUrl: string | undefined;
    let listening = false;
    createInterface({ input: spawned.stdout }).on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith(endpoint)) authorizationUrl = line.trim();
      if (line.startsWith(`Callback server started: ${callbackOrigin}`)) listening = true;
      if (authorizationUrl !== undefined && listening) {
        browserSteps.push(completeInBrowser(authorizationUrl, callbackOrigin));
        authorizationUrl = undefined;
        listening = false;
      }
    });
    spawned.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        spawned.kill('SIGKILL');
        reject(new Error(`the conformance suite did not finish in ${SUITE_TIMEOUT_MS} ms:\n${output}`));
      }, SUITE_TIMEOUT_MS);
    });
    try {
      const [code] = (await Promise.race([once(spawned, 'exit'), timeout])) as [number | null];
      await Promise.all(browserSteps);
      return { code: code ?? -1, output };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads each scenario's checks.json from the output directory. */
  async function readChecks(): Promise<Map<string, Check[]>> {
    const results = new Map<string, Check[]>();
    for (const entry of await readdir(outputDir)) {
      const scenario = SCENARIOS.find((name) => entry.startsWith(`authorization-server-${name}-`));
      if (scenario === undefined) continue;
      const checks = JSON.parse(await readFile(join(outputDir, entry, 'checks.json'), 'utf8')) as Check[];
      results.set(scenario, checks);
    }
    return results;
  }

  it(
    'passes both scenarios (metadata endpoint, authorization code grant driven in Chromium)',
    async () => {
      expect(
        existsSync(CLI),
        `${CLI} is missing: install the devDependency @modelcontextprotocol/conformance`,
      ).toBe(true);
      const port = await freePort();
      const clientId = await registerClient(port);
      const { code, output } = await runSuite(
        ['--url', issuer, '--client-id', clientId, '--port', String(port), '--output-dir', outputDir],
        `http://127.0.0.1:${port}`,
      );

      const results = await readChecks();
      expect([...results.keys()].sort(), output).toEqual([...SCENARIOS].sort());
      const expected = JSON.parse(
        await readFile(join(import.meta.dirname, 'authorization-expected-failures.json'), 'utf8'),
      ) as ExpectedFailure[];
      const failures: Array<{ scenario: string; check: string; errorMessage?: string }> = [];
      for (const [scenario, checks] of results) {
        expect(checks.length, `${scenario} ran no check`).toBeGreaterThan(0);
        for (const check of checks) {
          if (check.status !== 'SUCCESS') {
            failures.push({
              scenario,
              check: check.id,
              ...(check.errorMessage === undefined ? {} : { errorMessage: check.errorMessage }),
            });
          }
        }
      }
      // Exactly the expected failures: a new one fails the test, and so does one that got fixed.
      expect(
        failures.map(({ scenario, check }) => ({ scenario, check })),
        JSON.stringify(failures),
      ).toEqual(expected.map(({ scenario, check }) => ({ scenario, check })));
      if (expected.length === 0) expect(code, output).toBe(0);
    },
    SUITE_TIMEOUT_MS + 30_000,
  );
});
