/**
 * The first-account setup page in a real browser (Debian's Chromium, headless, phone-sized
 * viewport): the one-time URL creates the first account, then stops working.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { close, SCREENSHOT_DIR, SCREENSHOTS, startAuthorizationServer } from './harness.js';

describe('first-account setup in Chromium', () => {
  let browser: TestBrowser;
  let page: Page;
  let env: Awaited<ReturnType<typeof startAuthorizationServer>>;

  beforeAll(async () => {
    browser = await launchBrowser({ viewport: { width: 420, height: 860 } });
    page = await browser.context.newPage();
    env = await startAuthorizationServer();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await env?.as.close();
    if (env) await close(env.server);
  });

  it('creates the first account from the one-time URL, then refuses the URL', async () => {
    const setupUrl = await env.as.setupUrl();
    expect(setupUrl).toMatch(/\/oauth\/setup\?token=/);
    const shown = await page.goto(setupUrl as string);
    expect(shown?.headers()['x-frame-options']).toBe('DENY');
    expect(await page.locator('h1').textContent()).toBe('Set up Gatehouse');
    if (SCREENSHOTS) {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'setup.png'), fullPage: true });
    }

    await page.getByLabel('Username').fill('owner');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password again').fill('a different password!');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The two passwords are different.');
    expect(await env.as.accounts.count()).toBe(0);

    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Account created' }).waitFor();
    expect(await env.as.accounts.count()).toBe(1);
    const signIn = await env.as.accounts.authenticate('owner', 'a long enough password');
    expect(signIn.ok).toBe(true);

    // The same URL (and a replayed POST of its token) no longer works.
    const again = await page.goto(setupUrl as string);
    expect(again?.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('Setup is already complete');
    const token = new URL(setupUrl as string).searchParams.get('token') as string;
    const replay = await page.request.post(`${env.as.issuer}/setup`, {
      form: {
        token,
        username: 'intruder',
        password: 'another long password',
        confirm: 'another long password',
      },
    });
    expect(replay.status()).toBe(410);
    expect(await env.as.accounts.count()).toBe(1);
  });
});
