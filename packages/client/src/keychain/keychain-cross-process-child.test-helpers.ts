/**
 * A child process of the keychain store's cross-process test, run on the sources by `runSourceChild`
 * (test/support/source-child.ts).
 *
 * argv: <store directory> <work directory> <name> <service> <bus address>. Once `<work>/go` exists,
 * refreshes the entry of the shared key through `refreshSingleFlight` on a keychain store of that
 * private keyring (see `store/cross-process-refresh.test-helpers.ts`). Prints the tokens it ends
 * with as JSON on stdout.
 */
import { refreshWhenGo } from '../store/cross-process-refresh.test-helpers.js';
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

const store = createKeychainStore({
  directory,
  service,
  platform: 'linux',
  env: { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: address },
});
const result = await refreshWhenGo(store, work, name);
process.stdout.write(JSON.stringify(result));
