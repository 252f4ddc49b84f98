import type { CliCommand, CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import {
  AUTHORIZING_FLAGS,
  AUTHORIZING_FLAGS_HELP,
  authFetchOptions,
  openStore,
  parseCommandLine,
  parseServerUrl,
} from './client-options.js';
import { withMcpClient } from './mcp-session.js';

export const CALL_HELP = `Usage: gatehouse call <url> <tool> [json-args] [options]

Calls one tool of a protected MCP server (signing in first when needed) and prints its result:
text content as text, anything else as JSON. When the tool needs a scope the token lacks, the
server's insufficient_scope answer leads to a new authorization for the extra scope (step-up).
Exits 1 when the tool reports an error.

  --json                        print the whole result as JSON
${AUTHORIZING_FLAGS_HELP}
  -h, --help                    show this help

Examples:
  gatehouse call https://mcp.example.com/mcp whoami
  gatehouse call https://mcp.example.com/mcp echo '{"text":"hello"}'
  gatehouse call http://127.0.0.1:8080/mcp add_note '{"note":"buy milk"}' --no-browser
`;

/** `gatehouse call <url> <tool> [json-args]`: calls a tool. */
export const callCommand: CliCommand = {
  name: 'call',
  summary: 'call a tool of a protected MCP server',
  run: call,
};

const FLAGS = { ...AUTHORIZING_FLAGS, json: { type: 'boolean' } } as const;

function parseToolArguments(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(
      'the tool arguments are not valid JSON',
      `Example: '{"text":"hello"}' (quoted for the shell)`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('the tool arguments must be a JSON object', `Example: '{"a":1,"b":2}'`);
  }
  return value as Record<string, unknown>;
}

async function call(args: readonly string[], io: CliIo): Promise<number> {
  const line = parseCommandLine('call', args, FLAGS, {
    min: 2,
    max: 3,
    usage: 'gatehouse call <url> <tool> [json-args]',
  });
  if (line === 'help') {
    io.stdout(CALL_HELP);
    return 0;
  }
  const [url, name, json] = line.positionals as [string, string, string | undefined];
  const resource = parseServerUrl(url);
  const toolArguments = parseToolArguments(json);
  const options = authFetchOptions(line.values, io, resource, openStore(line.values, io));
  const result = await withMcpClient(resource, options, (client) =>
    client.callTool({ name, arguments: toolArguments }),
  );
  if (line.values.json === true) {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const content = Array.isArray(result.content) ? result.content : [];
    for (const item of content) {
      io.stdout(item.type === 'text' ? `${item.text}\n` : `${JSON.stringify(item)}\n`);
    }
    if (content.length === 0 && result.structuredContent !== undefined) {
      io.stdout(`${JSON.stringify(result.structuredContent, null, 2)}\n`);
    }
  }
  if (result.isError === true) {
    io.stderr(`gatehouse: the tool "${name}" reported an error\n`);
    return 1;
  }
  return 0;
}
