import type { Tool } from '@modelcontextprotocol/client';
import type { CliCommand, CliIo } from '../io.js';
import { AUTHORIZING_FLAGS, AUTHORIZING_FLAGS_HELP, startServerCommand } from './client-options.js';
import { withMcpClient } from './mcp-session.js';

export const TOOLS_HELP = `Usage: gatehouse tools <url> [options]

Lists the tools of a protected MCP server (signing in first when needed).

  --json                        print the tools as JSON (name, description, input schema)
${AUTHORIZING_FLAGS_HELP}
  -h, --help                    show this help

Examples:
  gatehouse tools https://mcp.example.com/mcp
  gatehouse tools http://127.0.0.1:8080/mcp --json
  gatehouse tools https://mcp.example.com/mcp --device
`;

/** `gatehouse tools <url>`: lists the server's tools. */
export const toolsCommand: CliCommand = {
  name: 'tools',
  summary: "list a protected MCP server's tools",
  run: tools,
};

const FLAGS = { ...AUTHORIZING_FLAGS, json: { type: 'boolean' } } as const;

/** At most this many pages are read (a server that pages forever is not followed forever). */
const MAX_PAGES = 100;

async function tools(args: readonly string[], io: CliIo): Promise<number> {
  const start = startServerCommand('tools', args, io, FLAGS, TOOLS_HELP);
  if (start === undefined) return 0;
  const { line, serverUrl: resource, options } = start;
  const list = await withMcpClient(resource, options, async (client) => {
    const all: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor });
      all.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return all;
  });
  if (line.values.json === true) {
    io.stdout(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    io.stdout('The server offers no tools.\n');
    return 0;
  }
  const width = Math.min(32, Math.max(...list.map((tool) => tool.name.length)) + 2);
  for (const tool of list) {
    const description = (tool.description ?? '').split('\n')[0] ?? '';
    io.stdout(`${tool.name.padEnd(width)}${description}\n`);
  }
  return 0;
}
