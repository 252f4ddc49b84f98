/**
 * The whole path a new user takes, in headless Chromium: `gatehouse serve --demo` (in process, port
 * 0), the first account created on the one-time setup page, `gatehouse login` with the browser
 * doing sign-in and consent (the CLI's browser opener pointed at Chromium instead of the `open`
 * package), then `gatehouse call … whoami` with the stored token, showing the signed-in user.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliIo, runCli } from '../../packages/gatehouse/src/cli/main.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { accountIdOf } from '../support/demo-sign-in.js';

const USERNAME = 'owner';
const PASSWORD = 'a long enough password';

function capture(extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let stop: (signal: string) => void = () => {};
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: {},
    stopSignal: new Promise((resolve) => (stop = resolve)),
    ...extra,
  };
  return { io, out: () => out.join(''), err: () => err.join(''), stop: (signal: string) => stop(signal) };
}

describe('gatehouse login in Chromium against gatehouse serve --demo', () => {
  let browser: TestBrowser;
  let work: string;
  let serve: ReturnType<typeof capture>;
  let serving: Promise<number>;

  beforeAll(async () => {
    browser = await launchBrowser();
    work = await mkdtemp(join(tmpdir(), 'gatehouse-browser-login-'));
    serve = capture();
    serving = runCli(['serve', '--demo', '--port', '0', '--data-dir', join(work, 'data')], serve.io);
    await vi.waitFor(
      () => {
        if (!serve.out().includes('Press Ctrl+C')) throw new Error('test: gatehouse serve is not ready');
      },
      { timeout: 15_000 },
    );
  }, 60_000);

  afterAll(async () => {
    serve?.stop('SIGTERM');
    await serving;
    await browser?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('setup page → gatehouse login (browser sign-in + consent) → gatehouse call whoami', async () => {
    const banner = serve.out();
    const mcpUrl = /MCP endpoint\s+(\S+)/.exec(banner)?.[1] ?? '';
    const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(banner)?.[1] ?? '';
    expect(mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

    const setup = await browser.context.newPage();
    await setup.goto(setupUrl);
    await setup.getByLabel('Username').fill(USERNAME);
    await setup.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await setup.getByLabel('Password again').fill(PASSWORD);
    await setup.getByRole('button', { name: 'Create account' }).click();
    await setup.getByRole('heading', { name: 'Account created' }).waitFor();
    await setup.close();

    // The CLI's browser opener, pointed at Chromium: the user signs in and approves there.
    const opened: string[] = [];
    let userDone: Promise<string> | undefined;
    const openBrowser = async (url: string) => {
      opened.push(url);
      userDone = (async () => {
        const page = await browser.context.newPage();
        await page.goto(url);
        await page.getByLabel('Username').fill(USERNAME);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
        await page.getByRole('button', { name: 'Approve' }).click();
        await page.getByRole('heading', { name: 'Signed in' }).waitFor();
        const text = (await page.locator('body').textContent()) ?? '';
        await page.close();
        return text;
      })();
    };
    const store = join(work, 'store');
    const login = capture({ openBrowser });
    const code = await runCli(['login', mcpUrl, '--store', store], login.io);
    expect(code, login.err()).toBe(0);
    expect(await userDone).toContain('You can close this window');
    expect(opened).toHaveLength(1);
    expect(login.err()).toContain(opened[0]); // the URL is printed even when a browser opens
    expect(login.out()).toMatch(/^Signed in to /);

    const call = capture();
    expect(await runCli(['call', mcpUrl, 'whoami', '--store', store], call.io)).toBe(0);
    const who = JSON.parse(call.out());
    expect(who.subject).toBe(accountIdOf(join(work, 'data'), USERNAME));
    expect(who.scopes).toContain('mcp:read');
  }, 60_000);
});
