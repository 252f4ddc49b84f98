/**
 * `--trust-proxy` at the gateway: the embedded authorization server builds its URLs from the
 * forwarded host and scheme, and the loopback host guard (DNS rebinding defence on a loopback
 * public URL) checks the forwarded host too, since that is the one the provider then uses.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeOptions } from '../cli/serve-options.js';
import { type RunningGateway, startGateway } from './start-gateway.js';

let dir: string;
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-trust-proxy-'));
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(name: string, trustProxy: boolean): Promise<RunningGateway> {
  const options: ServeOptions = {
    demo: true,
    host: '127.0.0.1',
    port: 0,
    publicUrl: undefined,
    issuer: undefined,
    jwksUri: undefined,
    dataDir: join(dir, name),
    registration: undefined,
    allowedOrigins: [],
    scopes: [],
    ...(trustProxy ? { trustProxy } : {}),
  };
  const gateway = await startGateway(options);
  gateways.push(gateway);
  return gateway;
}

/** GET with a chosen Host header (fetch does not let a caller set it). */
function get(
  gateway: RunningGateway,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gateway.http.address.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gatehouse serve --trust-proxy', () => {
  const metadata = '/.well-known/oauth-authorization-server/oauth';

  it('builds the authorization server URLs from X-Forwarded-Host and -Proto (loopback names only)', async () => {
    const gateway = await start('trusting', true);
    const host = `127.0.0.1:${gateway.http.address.port}`;
    const answer = await get(gateway, metadata, {
      host,
      'x-forwarded-host': 'localhost:9443',
      'x-forwarded-proto': 'https',
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { token_endpoint: string }).token_endpoint).toBe(
      'https://localhost:9443/oauth/token',
    );
  });

  it('refuses a foreign forwarded host on a loopback public URL (403), as it refuses a foreign Host', async () => {
    const gateway = await start('guarded', true);
    const host = `127.0.0.1:${gateway.http.address.port}`;
    expect((await get(gateway, metadata, { host, 'x-forwarded-host': 'evil.example' })).status).toBe(403);
    expect((await get(gateway, metadata, { host: 'evil.example' })).status).toBe(403);
    expect((await get(gateway, metadata, { host })).status).toBe(200);
  });

  it('without it, forwarded headers are ignored: URLs follow Host', async () => {
    const gateway = await start('plain', false);
    const host = `127.0.0.1:${gateway.http.address.port}`;
    const answer = await get(gateway, metadata, {
      host,
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { token_endpoint: string }).token_endpoint).toBe(
      `http://${host}/oauth/token`,
    );
  });
});
