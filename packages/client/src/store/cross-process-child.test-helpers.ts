/**
 * A child process for the cross-process test of `refreshSingleFlight` over the file store. Run by
 * `cross-process.test.ts` with `process.execPath --experimental-transform-types
 * --conditions=@gatehouse/source`: Node runs the TypeScript sources directly; the hook below maps the
 * sources' `./x.js` specifiers (NodeNext style) to the `./x.ts` files that exist.
 *
 * argv: <store directory> <work directory> <name>. Refreshes the entry of the shared key once
 * `<work>/go` exists (see `cross-process-refresh.test-helpers.ts`) and prints the tokens it ends with
 * as JSON on stdout.
 */
import { registerHooks } from 'node:module';

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
const { refreshWhenGo } = await import('./cross-process-refresh.test-helpers.js');

const [directory, work, name] = process.argv.slice(2);
if (directory === undefined || work === undefined || name === undefined)
  throw new Error('usage: <dir> <work> <name>');

const result = await refreshWhenGo(createFileStore({ directory }), work, name);
process.stdout.write(JSON.stringify(result));
