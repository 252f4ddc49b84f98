/**
 * A child process of the keychain store's cross-process test, run on the sources by `runSourceChild`
 * (test/support/source-child.ts).
 *
 * argv: <store directory> <work directory> <name> <service> <bus address>. Waits for
 * `<work>/go`, then refreshes the entry of KEY (stale tokens) through `refreshSingleFlight` on a
 * keychain store of that private keyring, recording each redemption in `<work>/redeemed.log` and
 * counting in `<work>/counter`. Prints the tokens it ends with as JSON on stdout.
 */
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { refreshSingleFlight } from '../store/refresh-single-flight.js';
import { createKeychainStore } from './keychain-store.js';

const [directory, work, name, service, address] = process.argv.slice(2);
if (
  directory === undefined ||
  work === undefined ||
  name === undefined ||
  service === undefined ||
  address === undefined
) {
  throw new Error('usage: <dir> <work> <name> <service> <bus address>');
}

const KEY = { issuer: 'https://as.example', resource: 'https://mcp.example/mcp', clientId: 'c1' };
const store = createKeychainStore({
  directory,
  service,
  platform: 'linux',
  env: { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: address },
});
for (;;) {
  try {
    await stat(join(work, 'go'));
    break;
  } catch {
    await sleep(2);
  }
}
const result = await refreshSingleFlight(
  store,
  KEY,
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
process.stdout.write(JSON.stringify(result));
