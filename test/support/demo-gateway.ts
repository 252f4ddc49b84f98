/**
 * Test support: `gatehouse serve --demo` in process (embedded authorization server, SQLite in a
 * temporary data directory, port 0) with its first account created the way an operator creates
 * it — by posting the one-time setup URL's form.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServeOptions } from '../../packages/gatehouse/src/cli/serve-options.js';
import { type RunningGateway, startGateway } from '../../packages/gatehouse/src/gateway/start-gateway.js';

/** A running demo gateway with one account, and how to stop it and remove its data. */
export interface DemoGateway {
  readonly gateway: RunningGateway;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** Starts the demo gateway and creates the account `username` through the setup page. */
export async function startDemoGatewayWithAccount(account: {
  username: string;
  password: string;
}): Promise<DemoGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-demo-'));
  const options: ServeOptions = {
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
  const gateway = await startGateway(options);
  const close = async () => {
    await gateway.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const setupUrl = new URL((await gateway.setupUrl()) ?? 'about:blank');
    const token = setupUrl.searchParams.get('token');
    if (!token) throw new Error('test: the gateway printed no setup URL');
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
    if (created.status !== 201) throw new Error(`test: the setup form answered HTTP ${created.status}`);
  } catch (error) {
    await close();
    throw error;
  }
  return { gateway, dataDir, close };
}
