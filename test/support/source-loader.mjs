/**
 * Test support: lets Node 22 run the TypeScript sources of a package as a child process (the CLI
 * under test, spawned like a desktop client spawns it). Node strips the types itself; this hook
 * maps a relative `./x.js` import to `./x.ts` when only the source exists. Use with
 * `node --experimental-transform-types --conditions=@gatehouse/source --import
 * ./test/support/source-loader.mjs <file.ts>` (transform, not strip: the sources use parameter
 * properties).
 */
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      try {
        return await next(specifier, context);
      } catch (error) {
        if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\\.{1,2}\\/.*\\.js$/.test(specifier)) throw error;
        return next(specifier.replace(/\\.js$/, '.ts'), context);
      }
    }
  `)}`,
);
