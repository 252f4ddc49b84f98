/**
 * Test and bench support: the options of `gatehouse serve --demo` on 127.0.0.1 port 0, and the
 * first account of its embedded authorization server created the way an operator creates it, by
 * posting the one-time setup URL's form. No value imports, so benchmarks (Node type stripping,
 * built packages) use it as well as the tests (sources).
 */
import type { ServeOptions } from 'gatehouse';

/** The serve options of `gatehouse serve --demo --port 0 --data-dir <dataDir>` on 127.0.0.1. */
export function demoServeOptions(dataDir: string): ServeOptions {
  return {
    demo: true,
    host: '127.0.0.1',
    port: 0,
    publicUrl: undefined,
    issuer: undefined,
    jwksUri: undefined,
    dataDir,
    registration: undefined,
    allowedOrigins: [],
    scopes: [],
  };
}

/** Creates the account `username` through the gateway's setup page; throws when that fails. */
export async function createFirstAccount(
  gateway: { setupUrl(): Promise<string | undefined> },
  account: { username: string; password: string },
): Promise<void> {
  const setupUrl = new URL((await gateway.setupUrl()) ?? 'about:blank');
  const token = setupUrl.searchParams.get('token');
  if (!token) throw new Error('the gateway printed no setup URL');
  const created = await fetch(new URL(setupUrl.pathname, setupUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token,
      username: account.username,
      password: account.password,
      confirm: account.password,
    }),
  });
  await created.arrayBuffer();
  if (created.status !== 201) throw new Error(`the setup form answered HTTP ${created.status}`);
}
