import { fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ProtocolError } from '../errors.js';
import { createSafeFetch, type ResolvedAddress, type SafeFetch } from '../safe-fetch.js';
import { createCheckedAgent, isLocalhostName } from './dispatcher.js';
import { closeServers, rejectionOf, startServer } from './servers.test-helpers.js';

/**
 * Name resolution is replaced by the `lookup` seam of createSafeFetch: no DNS query is made, and a
 * name can "resolve" to any address. Refused answers never reach a connect, so these tests never
 * contact a non-loopback address.
 */
const created: SafeFetch[] = [];
function withAnswers(
  answers: readonly ResolvedAddress[] | ((hostname: string) => readonly ResolvedAddress[]),
  policy: Parameters<typeof createSafeFetch>[0] = {},
) {
  const lookup = vi.fn(async (hostname: string) =>
    typeof answers === 'function' ? answers(hostname) : answers,
  );
  const fetchFn = createSafeFetch(policy, { lookup });
  created.push(fetchFn);
  return { fetchFn, lookup };
}

afterAll(async () => {
  await Promise.all(created.map((fetchFn) => fetchFn.close()));
  await closeServers();
});

const server = await startServer((request, response) => {
  response
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ host: request.headers.host }));
});

describe('safeFetch: checks every resolved address before connecting', () => {
  it.each([
    [[{ address: '10.0.0.1', family: 4 }], '10.0.0.1', 'dangerouslyAllowPrivateNetworks'],
    [[{ address: '169.254.169.254', family: 4 }], '169.254.169.254', 'no safeFetch policy option allows it'],
    [
      [{ address: '::ffff:169.254.169.254', family: 6 }],
      '::ffff:169.254.169.254',
      'no safeFetch policy option',
    ],
    [[{ address: 'fd00:ec2::254', family: 6 }], 'fd00:ec2::254', 'no safeFetch policy option'],
    [[{ address: '100.64.1.2', family: 4 }], '100.64.1.2', 'dangerouslyAllowPrivateNetworks'],
    [[{ address: '127.0.0.1', family: 4 }], '127.0.0.1', 'allowLoopback'],
    [[{ address: '::1', family: 6 }], '::1', 'allowLoopback'],
    [
      [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ],
      '10.0.0.1',
      'dangerouslyAllowPrivateNetworks',
    ],
    [
      [
        { address: '2606:4700::1111', family: 6 },
        { address: 'fe80::1', family: 6 },
      ],
      'fe80::1',
      'no safeFetch policy option',
    ],
  ])('refuses a name resolving to %j, naming %s and the widening option', async (answers, address, hint) => {
    const { fetchFn, lookup } = withAnswers(answers);
    const error = await rejectionOf(
      fetchFn('https://metadata.internal.test/computeMetadata/v1/?recursive=true'),
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'ERR_FETCH_REFUSED', attribute: 'address', actual: address });
    expect(error.message).toContain(`${address} (resolved from metadata.internal.test)`);
    expect(error.message).toContain(hint);
    expect(error.message).not.toContain('recursive');
    expect(lookup).toHaveBeenCalledWith('metadata.internal.test');
  });

  it('refuses a name resolving to loopback before any connection reaches the server', async () => {
    const { fetchFn, lookup } = withAnswers([{ address: '127.0.0.1', family: 4 }]);
    const before = server.connections;
    const error = await rejectionOf(fetchFn(`https://service.test:${server.port}/`));
    expect(error).toMatchObject({ code: 'ERR_FETCH_REFUSED' });
    expect(lookup).toHaveBeenCalled();
    expect(server.connections).toBe(before);
  });

  it('connects to the address it checked: a name resolved to loopback reaches the loopback server', async () => {
    // https to a plain-http server: the TLS handshake fails, but only after connecting to the checked address.
    const { fetchFn, lookup } = withAnswers([{ address: '127.0.0.1', family: 4 }], { allowLoopback: true });
    const before = server.connections;
    await expect(fetchFn(`https://service.test:${server.port}/`)).rejects.toMatchObject({
      code: 'ERR_FETCH_FAILED',
    });
    expect(lookup).toHaveBeenCalledWith('service.test');
    expect(server.connections).toBe(before + 1);
  });

  it('resolves localhost through the lookup too, and requires loopback answers for it (RFC 6761)', async () => {
    const loopback = withAnswers([{ address: '127.0.0.1', family: 4 }], { allowLoopback: true });
    expect(await (await loopback.fetchFn(`http://localhost:${server.port}/`)).json()).toEqual({
      host: `localhost:${server.port}`,
    });

    const rebound = withAnswers([{ address: '93.184.215.14', family: 4 }], { allowLoopback: true });
    const error = await rejectionOf(rebound.fetchFn(`http://localhost:${server.port}/`));
    expect(error).toMatchObject({ code: 'ERR_FETCH_REFUSED', actual: '93.184.215.14' });
    expect(error.message).toContain('RFC 6761');
  });

  it('does not resolve names it refuses up front (http to a non-loopback name, localhost by default)', async () => {
    const { fetchFn, lookup } = withAnswers([{ address: '127.0.0.1', family: 4 }], { allowLoopback: true });
    await expect(fetchFn('http://example.test/')).rejects.toMatchObject({ code: 'ERR_FETCH_REFUSED' });
    const strict = withAnswers([{ address: '127.0.0.1', family: 4 }]);
    await expect(strict.fetchFn('https://localhost/')).rejects.toMatchObject({ code: 'ERR_FETCH_REFUSED' });
    expect(lookup).not.toHaveBeenCalled();
    expect(strict.lookup).not.toHaveBeenCalled();
  });

  it('reports a name without addresses, and a failing resolver, as ERR_FETCH_FAILED', async () => {
    const empty = withAnswers([]);
    const error = await rejectionOf(empty.fetchFn('https://nowhere.test/'));
    expect(error).toMatchObject({ code: 'ERR_FETCH_FAILED' });
    expect(error.message).toContain('ENOTFOUND');

    const failing = createSafeFetch(
      {},
      { lookup: async () => Promise.reject(Object.assign(new Error('boom'), { code: 'EAI_AGAIN' })) },
    );
    created.push(failing);
    await expect(failing('https://flaky.test/')).rejects.toMatchObject({
      code: 'ERR_FETCH_FAILED',
      message: expect.stringContaining('EAI_AGAIN'),
    });
  });
});

describe('createCheckedAgent', () => {
  it('refuses an IP literal host in the connector itself, even when called without safeFetch', async () => {
    const agent = createCheckedAgent({});
    const before = server.connections;
    try {
      const error = await rejectionOf(undiciFetch(`http://127.0.0.1:${server.port}/`, { dispatcher: agent }));
      const cause = (error as { cause?: unknown }).cause;
      expect(cause).toBeInstanceOf(ProtocolError);
      expect(cause).toMatchObject({ code: 'ERR_FETCH_REFUSED', actual: '127.0.0.1' });
      expect(server.connections).toBe(before);
    } finally {
      await agent.close();
    }
  });

  it('lets an allowed IP literal through', async () => {
    const agent = createCheckedAgent({ allowLoopback: true });
    try {
      const response = await undiciFetch(`http://127.0.0.1:${server.port}/`, { dispatcher: agent });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    } finally {
      await agent.close();
    }
  });
});

describe('isLocalhostName', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['api.localhost', true],
    ['localhost.example.com', false],
    ['notlocalhost', false],
    ['127.0.0.1', false],
  ])('%s → %s', (name, expected) => {
    expect(isLocalhostName(name)).toBe(expected);
  });
});
