/**
 * The part the cross-process test children of `refreshSingleFlight` share (the file store's
 * `cross-process-child.test-helpers.ts`, the keychain store's
 * `keychain-cross-process-child.test-helpers.ts`): wait for `<work>/go`, then refresh the entry of
 * {@link CROSS_PROCESS_KEY} (whose tokens are stale), recording each redemption in
 * `<work>/redeemed.log` and counting in `<work>/counter`.
 */
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { refreshSingleFlight } from './refresh-single-flight.js';
import type { StoredTokens, TokenStore } from './types.js';

/** The key every child refreshes. */
export const CROSS_PROCESS_KEY = {
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'c1',
};

/**
 * Waits for `<work>/go`, then refreshes {@link CROSS_PROCESS_KEY} in `store` as child `name`;
 * resolves the tokens it ends with.
 */
export async function refreshWhenGo(
  store: TokenStore,
  work: string,
  name: string,
): Promise<StoredTokens | undefined> {
  for (;;) {
    try {
      await stat(join(work, 'go'));
      break;
    } catch {
      await sleep(2);
    }
  }
  return refreshSingleFlight(
    store,
    CROSS_PROCESS_KEY,
    async (current) => {
      await appendFile(join(work, 'redeemed.log'), `${name} ${current.refresh_token}\n`);
      const counterPath = join(work, 'counter');
      const count = Number(await readFile(counterPath, 'utf8').catch(() => '0')) + 1;
      await writeFile(counterPath, String(count));
      await sleep(150);
      return {
        ...current,
        access_token: `access-${count}`,
        refresh_token: `refresh-${count}`,
        expires_at: Math.floor(Date.now() / 1000) + 3600,
      };
    },
    { isFresh: (tokens) => tokens.expires_at !== undefined && tokens.expires_at > Date.now() / 1000 + 60 },
  );
}
