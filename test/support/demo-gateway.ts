/**
 * Test support: `gatehouse serve --demo` in process (embedded authorization server, SQLite in a
 * temporary data directory, port 0) with its first account created the way an operator creates
 * it — by posting the one-time setup URL's form.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningGateway, startGateway } from '../../packages/gatehouse/src/gateway/start-gateway.js';
import { createFirstAccount, demoServeOptions } from './demo-account.ts';

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
  const gateway = await startGateway(demoServeOptions(dataDir));
  const close = async () => {
    await gateway.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await createFirstAccount(gateway, account);
  } catch (error) {
    await close();
    throw error;
  }
  return { gateway, dataDir, close };
}
