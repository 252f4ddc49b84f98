import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestIssuer } from '../../../../test/support/test-issuer.js';
import { type CliIo, runCli } from '../cli/main.js';
import { type RunningGateway, startGateway } from './start-gateway.js';
import { makeSelfSignedCertificate } from './tls.test-helpers.js';
import { gatewayOptions, textOf, tokenFor } from './upstreams/upstream.test-helpers.js';

describe('gatehouse serve over TLS (--cert / --key)', () => {
  const issuer = useTestIssuer();
  let certificate: Awaited<ReturnType<typeof makeSelfSignedCertificate>>;
  let agent: Agent;
  let trustingFetch: typeof fetch;

  beforeAll(async () => {
    certificate = await makeSelfSignedCertificate();
    agent = new Agent({ connect: { ca: certificate.cert } });
    trustingFetch = ((input: string | URL | Request, init?: RequestInit) =>
      fetch(input, { ...init, dispatcher: agent } as RequestInit)) as typeof fetch;
  });
  afterAll(async () => {
    await agent?.close();
    await certificate?.remove();
  });

  it('serves https: the resource is an https URL and an SDK client trusting the certificate calls a tool', async () => {
    const gateway: RunningGateway = await startGateway({
      ...gatewayOptions(issuer, { kind: 'demo' }),
      tls: { certFile: certificate.certFile, keyFile: certificate.keyFile },
    });
    try {
      expect(gateway.mcpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const metadata = (await (await trustingFetch(gateway.metadataUrl)).json()) as { resource: string };
      expect(metadata.resource).toBe(gateway.mcpUrl);
      // Plain http to the TLS port fails; so does https without trusting the certificate.
      await expect(fetch(gateway.mcpUrl.replace('https:', 'http:'), { method: 'POST' })).rejects.toThrow();
      await expect(fetch(gateway.mcpUrl, { method: 'POST' })).rejects.toThrow();

      const client = new Client({ name: 'tls-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(gateway.mcpUrl), {
          requestInit: { headers: { authorization: `Bearer ${await tokenFor(issuer, gateway, 'alice')}` } },
          fetch: trustingFetch,
        }),
      );
      const sum = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      expect(textOf(sum)).toBe('3');
      await client.close();
    } finally {
      await gateway.close();
    }
  });

  it('prints https URLs in the banner when the CLI serves with --cert and --key', async () => {
    const out: string[] = [];
    let stop: (signal: string) => void = () => {};
    const io: CliIo = {
      stdout: (text) => out.push(text),
      stderr: () => {},
      env: {
        GATEHOUSE_LOG_LEVEL: 'warn',
        GATEHOUSE_CERT: certificate.certFile,
        GATEHOUSE_KEY: certificate.keyFile,
      },
      stopSignal: new Promise((resolve) => (stop = resolve)),
    };
    // (Non-loopback binds with TLS are accepted by the option parser; tests bind loopback only.)
    const running = runCli(
      ['serve', '--demo', '--port', '0', '--external-issuer', issuer.issuer, '--jwks-uri', issuer.jwksUri],
      io,
    );
    await expect.poll(() => out.join(''), { timeout: 10_000 }).toContain('MCP endpoint');
    const mcpUrl = /MCP endpoint\s+(\S+)/.exec(out.join(''))?.[1] ?? '';
    expect(mcpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect((await trustingFetch(mcpUrl, { method: 'POST', body: '{}' })).status).toBe(401);
    stop('SIGTERM');
    expect(await running).toBe(0);
  });

  it('refuses a missing certificate file with exit code 2', async () => {
    const err: string[] = [];
    const io: CliIo = {
      stdout: () => {},
      stderr: (text) => err.push(text),
      env: {},
      stopSignal: new Promise(() => {}),
    };
    const code = await runCli(
      ['serve', '--demo', '--port', '0', '--cert', '/nonexistent/cert.pem', '--key', certificate.keyFile],
      io,
    );
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/cannot read --cert "\/nonexistent\/cert\.pem": ENOENT/);
  });
});
