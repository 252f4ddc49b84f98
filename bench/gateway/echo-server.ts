/**
 * Bench fixture: the stdio MCP server (SDK v2) behind every path of the gateway benchmark. Its one
 * tool, `echo`, answers at once with the text it was given, so that what is measured is the path
 * to it, not the tool. Exits when its stdin ends, so that no copy outlives the process that
 * started it.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

process.stdin.once('end', () => process.exit(0));
serveStdio(() => {
  const server = new McpServer({ name: 'bench-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns its text.', inputSchema: z.object({ text: z.string() }) },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
});
