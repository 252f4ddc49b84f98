/**
 * Test support for the HTTP relay: a sessionful Streamable HTTP MCP server (SDK v2) that records
 * the headers of every request it receives. Its tools: `hello`, `ask` (elicits a name from the
 * client, a server→client request) and `count` (sends progress notifications).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { listen, type RunningHttpServer } from '../listen.js';

/** The recording upstream. */
export interface RecordingUpstream {
  readonly http: RunningHttpServer;
  readonly url: string;
  /** Headers of every request, in order. */
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

function createFixtureServer(): McpServer {
  const server = new McpServer({ name: 'http-fixture', version: '1.0.0' });
  server.registerTool('hello', { description: 'Says hello.' }, () => ({
    content: [{ type: 'text', text: 'hello from the HTTP upstream' }],
  }));
  server.registerTool('ask', { description: 'Asks the user for a name.' }, async (ctx) => {
    const answer = await ctx.mcpReq.elicitInput({
      message: 'What is your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    return { content: [{ type: 'text', text: `hello ${String(answer.content?.name)}` }] };
  });
  server.registerTool(
    'count',
    {
      description: 'Counts to n, reporting progress.',
      inputSchema: z.object({ n: z.number().int().max(10) }),
    },
    async ({ n }, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      for (let i = 1; i <= n; i++) {
        if (token !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: n },
          });
        }
      }
      return { content: [{ type: 'text', text: `counted to ${n}` }] };
    },
  );
  return server;
}

/** Starts the recording upstream on 127.0.0.1 port 0, serving MCP at `/mcp` with sessions. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const seen: IncomingHttpHeaders[] = [];
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const handle = async (request: Request): Promise<Response> => {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId !== null) {
      const transport = sessions.get(sessionId);
      if (transport === undefined) return new Response('unknown session', { status: 404 });
      return transport.handleRequest(request);
    }
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    await createFixtureServer().connect(transport);
    return transport.handleRequest(request);
  };
  const listener = getRequestListener(handle);
  const http = await listen(
    (req, res) => {
      seen.push({ ...req.headers });
      void listener(req, res);
    },
    { host: '127.0.0.1', port: 0 },
  );
  return {
    http,
    url: `http://127.0.0.1:${http.address.port}/mcp`,
    seen,
    close: async () => {
      await Promise.all([...sessions.values()].map((transport) => transport.close()));
      http.server.closeAllConnections();
      await http.close();
    },
  };
}
