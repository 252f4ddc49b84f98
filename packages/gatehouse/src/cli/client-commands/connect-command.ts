import { authFetch } from '@gatehouse/client';
import type { CliCommand, CliIo } from '../io.js';
import { AUTHORIZING_FLAGS, AUTHORIZING_FLAGS_HELP, startServerCommand } from './client-options.js';
import { runStdioBridge } from './stdio-bridge.js';

export const CONNECT_HELP = `Usage: gatehouse connect <url> [options]

Connects a local MCP client that speaks stdio (Claude Desktop, Cursor, VS Code, …) to a
protected MCP server over Streamable HTTP. JSON-RPC messages read from stdin are sent to the
server with a valid OAuth token; the server's responses, notifications and requests are
written to stdout. Signs in on demand (browser, or a code to enter on another device; the
URL is also printed to stderr) and keeps the tokens in the token store, renewing them before
they expire. Logs go to stderr only. Exits when stdin closes.

${AUTHORIZING_FLAGS_HELP}
  -h, --help                    show this help

Examples:
  gatehouse connect https://mcp.example.com/mcp
  gatehouse login https://mcp.example.com/mcp && gatehouse connect https://mcp.example.com/mcp

  Claude Desktop (claude_desktop_config.json; use the absolute path of gatehouse):
    { "mcpServers": { "example": { "command": "/usr/local/bin/gatehouse",
      "args": ["connect", "https://mcp.example.com/mcp"] } } }
`;

/** `gatehouse connect <url>`: the stdio ↔ Streamable HTTP bridge, with OAuth. */
export const connectCommand: CliCommand = {
  name: 'connect',
  stopsOnSignal: true,
  summary: 'bridge a stdio MCP client to a protected MCP server',
  run: connect,
};

async function connect(args: readonly string[], io: CliIo): Promise<number> {
  const start = startServerCommand('connect', args, io, AUTHORIZING_FLAGS, CONNECT_HELP);
  if (start === undefined) return 0;
  const { serverUrl, options } = start;
  if (io.stdin === undefined || io.stdoutStream === undefined) {
    throw new Error('gatehouse connect needs standard input and output');
  }
  const stop = new AbortController();
  void io.stopSignal.then(() => stop.abort());
  io.stderr(`gatehouse connect: relaying stdio to ${serverUrl}\n`);
  if (io.stdin.isTTY === true) {
    io.stderr(
      'gatehouse connect: stdin is a terminal; this command speaks JSON-RPC and is meant to be started by an MCP client (see "gatehouse connect --help"). Press Ctrl+D to stop.\n',
    );
  }
  await runStdioBridge({
    serverUrl,
    fetch: authFetch({ ...options, serverUrl }),
    input: io.stdin,
    output: io.stdoutStream,
    log: (text) => io.stderr(`${text}\n`),
    signal: stop.signal,
  });
  return 0;
}
