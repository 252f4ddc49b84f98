import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { McpServer, type McpServerFactory, type Server } from '@modelcontextprotocol/server';
import { UsageError } from '../../cli/usage-error.js';
import type { Upstream } from './upstream.js';

const EXAMPLE_HINT = [
  'The module must export an SDK v2 McpServer factory, e.g.:',
  "  import { McpServer } from '@modelcontextprotocol/server';",
  '  export default function createServer({ authInfo }) {',
  "    const server = new McpServer({ name: 'my-server', version: '1.0.0' });",
  '    // server.registerTool(...)',
  '    return server;',
  '  }',
].join('\n');

/**
 * Loads `--module <file>`: an ES module whose default export, or named export `createServer`, is a
 * function returning a new SDK v2 `McpServer` (or low-level `Server`) for each request. It
 * receives `{ era, authInfo, requestInfo }`; `authInfo` is the verified token (subject, client,
 * scopes; its raw `token` is there for SDK compatibility but must not be passed on).
 *
 * @throws {UsageError} (exit 2) when the file is missing, cannot be loaded, or exports no function.
 */
export async function loadModuleUpstream(file: string, cwd: string): Promise<Upstream> {
  const path = resolve(cwd, file);
  try {
    await access(path);
  } catch {
    throw new UsageError(`--module "${file}" does not exist (looked at ${path})`, EXAMPLE_HINT);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(
      `--module "${file}" could not be loaded: ${(error as Error)?.message ?? String(error)}`,
      'It must be an ES module that Node.js can import (.js / .mjs, or .ts with type stripping).',
    );
  }
  const factory = typeof exports.default === 'function' ? exports.default : exports.createServer;
  if (typeof factory !== 'function') {
    const found = Object.keys(exports).join(', ') || 'nothing';
    throw new UsageError(
      `--module "${file}" exports no server factory (found: ${found})`,
      `${EXAMPLE_HINT}\nor export it as a named function "createServer".`,
    );
  }
  const create = factory as McpServerFactory;
  return {
    description: `module: ${path}`,
    // A module that resolves its own copy of the SDK returns an McpServer this copy's `instanceof`
    // does not know; hand the SDK its low-level Server instead, which is what it serves anyway.
    factory: async (ctx) => {
      const product = await create(ctx);
      return product instanceof McpServer ? product : ((product as { server?: Server }).server ?? product);
    },
    close: async () => {},
  };
}
