import { describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../../test/support/test-issuer.js';
import { UsageError } from '../../cli/usage-error.js';
import { loadModuleUpstream } from './module-upstream.js';
import {
  connectWithToken,
  fixture,
  REPO_ROOT,
  startUpstreamGateway,
  textOf,
  tokenFor,
} from './upstream.test-helpers.js';

describe('module upstream (--module)', () => {
  const issuer = useTestIssuer();

  it("serves the module's McpServer, whose factory receives the verified token's subject and client", async () => {
    const gateway = await startUpstreamGateway(
      issuer,
      { kind: 'module', file: 'test/fixtures/module-server.mjs' },
      {
        cwd: REPO_ROOT,
      },
    );
    try {
      expect(gateway.upstreamDescription).toContain('test/fixtures/module-server.mjs');
      const client = await connectWithToken(
        gateway.mcpUrl,
        await tokenFor(issuer, gateway, 'alice', 'editor'),
      );
      const whoami = await client.callTool({ name: 'whoami', arguments: {} });
      expect(JSON.parse(textOf(whoami))).toEqual({ subject: 'alice', client_id: 'editor' });
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('refuses a missing file with a usage error and an example', async () => {
    const error = await loadModuleUpstream('no-such-module.mjs', REPO_ROOT).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/--module "no-such-module\.mjs" does not exist/);
    expect((error as UsageError).hint).toMatch(/export default function createServer/);
  });

  it('refuses a module without a factory, naming what it exports', async () => {
    const error = await loadModuleUpstream(fixture('module-without-factory.mjs'), REPO_ROOT).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/exports no server factory \(found: notAFactory\)/);
  });
});
