/**
 * Entry point of the conformance client (issue 4 item 8), as the MCP conformance suite runs it:
 *
 * ```
 * npx tsc -b packages/client     # the client imports the BUILT @gatehouse/client (dist/)
 * node test/conformance/client/main.ts <server URL>
 * ```
 *
 * with `MCP_CONFORMANCE_SCENARIO` (and, for some scenarios, `MCP_CONFORMANCE_CONTEXT`, JSON) in the
 * environment. Node 22 strips the types of these two files; `@gatehouse/client` resolves to its
 * build output, exactly as for a user of the package, which also keeps each client process cheap
 * (the suite starts one per scenario, all at once). The client itself (`conformance-client.ts`)
 * uses only the public API of `@gatehouse/client` and the SDK v2 client.
 *
 * Exit code 0 when the scenario's MCP work completed, 1 when it failed (the error's name and
 * message on stderr, never a token), 2 when it did not finish within its own time limit
 * (`GATEHOUSE_CONFORMANCE_CLIENT_DEADLINE_MS`, default 25 000: below the suite's 30 s default).
 */
/** Below the suite's own time limit per scenario, so the client always ends by itself. */
const TIME_LIMIT_MS = Number(process.env.GATEHOUSE_CONFORMANCE_CLIENT_DEADLINE_MS) || 25_000;

const deadline = setTimeout(() => {
  process.stderr.write(`conformance client: no result within ${TIME_LIMIT_MS} ms\n`);
  process.exit(2);
}, TIME_LIMIT_MS);

const { runConformanceClient } = await import('./conformance-client.ts');
try {
  await runConformanceClient({
    serverUrl: process.argv.at(-1) ?? '',
    scenario: process.env.MCP_CONFORMANCE_SCENARIO ?? '',
    context: process.env.MCP_CONFORMANCE_CONTEXT,
    stderr: process.stderr,
  });
  clearTimeout(deadline);
  process.exit(0);
} catch (error) {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  process.stderr.write(`conformance client: ${name}: ${message}\n`);
  process.exit(1);
}
