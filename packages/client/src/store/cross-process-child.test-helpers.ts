/**
 * A child process for the cross-process test of `refreshSingleFlight` over the file store. Run by
 * `cross-process.test.ts` with `process.execPath --experimental-transform-types
 * --conditions=@gatehouse/source`: Node runs the TypeScript sources directly; the hook below maps the
 * sources' `./x.js` specifiers (NodeNext style) to the `./x.ts` files that exist.
 *
 * argv: <store directory> <work directory> <name>. Waits for `<work>/go`, then refreshes the entry
 * of KEY (whose tokens are stale), recording each redemption in `<work>/redeemed.log` and counting
 * in `<work>/counter`. Prints the tokens it ends with as JSON on stdout.
 */
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw error;
    }
  },
});

const { createFileStore } = await import('./file-store.js');
const { refreshSingleFlight } = await import('./refresh-single-flight.js');

const [directory, work, name] = process.argv.slice(2);
if (directory === undefined || work === undefined || name === undefined)
  throw new Error('usage: <dir> <work> <name>');

const KEY = { issuer: 'https://as.example', resource: 'https://mcp.example/mcp', clientId: 'c1' };

const store = createFileStore({ directory });
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
