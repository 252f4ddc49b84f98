/**
 * `@modelcontextprotocol/conformance@0.1.16 server` (the active suite) against the conformance
 * fixture server reached through `gatehouse serve --upstream`, with a token-injecting hop in front
 * (the suite cannot authenticate). Every active scenario must pass, as it does against the fixture
 * directly; `gateway-expected-failures.json` lists known failures and may only shrink.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../../packages/gatehouse/src/gateway/start-gateway.js';
import {
  REPO_ROOT,
  startUpstreamGateway,
  tokenFor,
} from '../../../packages/gatehouse/src/gateway/upstreams/upstream.test-helpers.js';
import { useTestIssuer } from '../../support/test-issuer.js';
import { type ConformanceFixture, startConformanceFixture } from './fixture-server.js';
import { startTokenHop, type TokenHop } from './token-hop.js';

const SUITE = `${REPO_ROOT}node_modules/conformance-client-suite/dist/index.js`;
const NODE = `${REPO_ROOT}node_modules/.bin/node`;

/** Runs the server suite against `url`; resolves with each scenario's verdict. */
async function runServerSuite(url: string): Promise<Map<string, boolean>> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      NODE,
      [SUITE, 'server', '--url', url],
      { timeout: 240_000, maxBuffer: 64 * 1024 * 1024, cwd: REPO_ROOT },
      (error, stdout, stderr) => {
        const text = `${stdout}${stderr}`;
        if (!text.includes('=== SUMMARY ==='))
          reject(error ?? new Error(`no summary:\n${text.slice(-2_000)}`));
        else resolve(text);
      },
    );
  });
  const verdicts = new Map<string, boolean>();
  const summary = output.slice(output.indexOf('=== SUMMARY ==='));
  for (const match of summary.matchAll(/^([✓✗]) ([\w-]+): (\d+) passed, (\d+) failed/gm)) {
    verdicts.set(match[2] as string, match[1] === '✓' && match[4] === '0');
  }
  return verdicts;
}

const failing = (verdicts: Map<string, boolean>) =>
  [...verdicts]
    .filter(([, passed]) => !passed)
    .map(([name]) => name)
    .sort();

describe('conformance server suite through gatehouse serve --upstream', () => {
  const issuer = useTestIssuer();
  let fixture: ConformanceFixture;
  let gateway: RunningGateway;
  let hop: TokenHop;

  beforeAll(async () => {
    fixture = await startConformanceFixture();
    gateway = await startUpstreamGateway(issuer, { kind: 'http', url: fixture.url, headers: {} });
    hop = await startTokenHop(
      gateway.mcpUrl,
      await tokenFor(issuer, gateway, 'conformance', 'conformance-suite'),
    );
  });
  afterAll(async () => {
    await hop?.close();
    await gateway?.close();
    await fixture?.close();
  });

  it('passes every active scenario that the fixture passes directly', { timeout: 600_000 }, async () => {
    const expected = JSON.parse(
      await readFile(new URL('./gateway-expected-failures.json', import.meta.url), 'utf8'),
    ) as string[];
    const direct = await runServerSuite(fixture.url);
    const through = await runServerSuite(hop.url);
    expect(through.size).toBeGreaterThanOrEqual(30);
    expect([...through.keys()].sort()).toEqual([...direct.keys()].sort());
    // dns-rebinding-protection is the gateway's job: the bare fixture has no Host check.
    expect(failing(direct).filter((name) => name !== 'dns-rebinding-protection')).toEqual(expected);
    expect(failing(through)).toEqual(expected);
  });
});
