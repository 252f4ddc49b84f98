import { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';

/** The scope the demo's writing tool needs on top of the default ones. */
export const DEMO_WRITE_SCOPE = 'mcp:write';

/** Per-tool scope requirements of the demo server, in the resource server's `ScopeRequirements` shape. */
export const DEMO_SCOPE_REQUIREMENTS = { tools: { add_note: [DEMO_WRITE_SCOPE] } } as const;

/** The token fields the demo's `whoami` tool reports. */
interface DemoAuthInfo {
  clientId?: string;
  scopes?: string[];
  subject?: string;
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/**
 * Builds the built-in demo MCP server that `gatehouse serve --demo` puts behind OAuth.
 *
 * Tools: `whoami` (the authenticated subject, client and scopes), `echo`, `add`, and `add_note`,
 * which needs the extra scope `mcp:write` (enforced by the resource server before the call reaches
 * the tool). Notes are kept in memory for the process lifetime, shared by all principals.
 */
export function createDemoServerFactory(): () => McpServer {
  const notes: string[] = [];
  return () => {
    const server = new McpServer({ name: 'gatehouse-demo', version: '0.1.0' });
    server.registerTool(
      'whoami',
      { description: 'Returns the authenticated subject, OAuth client and granted scopes.' },
      (ctx) => {
        const auth = ctx.http?.authInfo as DemoAuthInfo | undefined;
        const who = {
          subject: auth?.subject ?? null,
          client_id: auth?.clientId ?? null,
          scopes: auth?.scopes ?? [],
        };
        return { ...text(JSON.stringify(who)), structuredContent: who };
      },
    );
    server.registerTool(
      'echo',
      { description: 'Echoes the given text.', inputSchema: z.object({ text: z.string().max(10_000) }) },
      ({ text: value }) => text(value),
    );
    server.registerTool(
      'add',
      { description: 'Adds two numbers.', inputSchema: z.object({ a: z.number(), b: z.number() }) },
      ({ a, b }) => text(String(a + b)),
    );
    server.registerTool(
      'add_note',
      {
        description: `Stores a short note in memory. Needs the "${DEMO_WRITE_SCOPE}" scope.`,
        inputSchema: z.object({ note: z.string().min(1).max(1_000) }),
      },
      ({ note }) => {
        if (notes.length >= 1_000) notes.shift();
        notes.push(note);
        return text(`stored note ${notes.length}`);
      },
    );
    return server;
  };
}
