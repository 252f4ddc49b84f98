/**
 * Child process of the bare oidc-provider e2e test: one MCP request through `authFetch` with a
 * shared file store whose stored token is about to expire, so that the call has to refresh first.
 * Run with `node --experimental-transform-types --conditions=@gatehouse/source --import
 * ./test/support/source-loader.mjs` (the client's TypeScript sources, no build).
 *
 * argv: <MCP URL> <store directory> <go file> <ready file>. Once loaded, creates the ready file and
 * waits until the go file exists (so that two children start at the same moment), then sends
 * `tools/list` and prints `{ "status": <HTTP status>, "tools": n }`.
 * An interactive authorization would be a failure of the test: the hook throws.
 */
import { stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { authFetch, createFileStore } from '@gatehouse/client';

const [mcpUrl, directory, goFile, readyFile] = process.argv.slice(2);
if (mcpUrl === undefined || directory === undefined || goFile === undefined || readyFile === undefined) {
  throw new Error('usage: <mcp url> <store directory> <go file> <ready file>');
}

const fetchWithAuth = authFetch({
  serverUrl: mcpUrl,
  store: createFileStore({ directory }),
  policy: { allowLoopback: true },
  authorization: {
    stderr: { write: () => true },
    onAuthorizationUrl: () => {
      throw new Error('child: an interactive authorization was started');
    },
  },
});

await writeFile(readyFile, '');
for (;;) {
  try {
    await stat(goFile);
    break;
  } catch {
    await sleep(2);
  }
}
const response = await fetchWithAuth(mcpUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
});
const text = await response.text();
const json = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
const tools = (JSON.parse(json) as { result?: { tools?: unknown[] } }).result?.tools?.length ?? 0;
process.stdout.write(JSON.stringify({ status: response.status, tools }));
