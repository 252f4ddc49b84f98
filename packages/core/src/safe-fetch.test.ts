import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import {
  closeServers,
  rejectionOf,
  startServer,
  type TestServer,
} from './safe-fetch/servers.test-helpers.js';
import { createSafeFetch, type SafeFetch, safeFetch } from './safe-fetch.js';

const created: SafeFetch[] = [];
function loopbackFetch(policy: Parameters<typeof createSafeFetch>[0] = {}): SafeFetch {
  const fetchFn = createSafeFetch({ allowLoopback: true, ...policy });
  created.push(fetchFn);
  return fetchFn;
}

afterAll(async () => {
  await Promise.all(created.map((fetchFn) => fetchFn.close()));
  await closeServers();
});

const json = await startServer((request, response) => {
  if (request.url?.startsWith('/redirect')) {
    response.writeHead(302, { location: 'http://127.0.0.1:1/next?code=secret-code' }).end();
    return;
  }
  if (request.url === '/empty') {
    response.writeHead(204).end();
    return;
  }
  if (request.url === '/missing') {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    return;
  }
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    body += chunk;
  });
  request.on('end', () => {
    const echo = {
      method: request.method,
      type: request.headers['content-type'] ?? null,
      body,
      host: request.headers.host,
    };
    response
      .writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' })
      .end(JSON.stringify(echo));
  });
});
const base = `http://127.0.0.1:${json.port}`;

/** Asserts `promise` is refused by policy before `server` saw any connection. */
async function expectRefusedBeforeConnecting(promise: Promise<unknown>, server: TestServer, hint?: string) {
  const before = server.connections;
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(ProtocolError);
  expect(error.code).toBe('ERR_FETCH_REFUSED');
  if (hint !== undefined) expect(error.message).toContain(hint);
  expect(server.connections).toBe(before);
  return error;
}

describe('safeFetch: loopback', () => {
  it('refuses loopback by default, over http and https, before connecting, naming allowLoopback', async () => {
    await expectRefusedBeforeConnecting(safeFetch(`${base}/`), json, 'allowLoopback');
    await expectRefusedBeforeConnecting(safeFetch(`https://127.0.0.1:${json.port}/`), json, 'allowLoopback');
    await expectRefusedBeforeConnecting(safeFetch(`https://localhost:${json.port}/`), json, 'allowLoopback');
    await expectRefusedBeforeConnecting(safeFetch(`https://LOCALHOST.:${json.port}/`), json, 'allowLoopback');
    await expectRefusedBeforeConnecting(
      safeFetch(`https://api.localhost:${json.port}/`),
      json,
      'allowLoopback',
    );
  });

  it('fetches from loopback over http with allowLoopback, returning a fully read web Response', async () => {
    const response = await safeFetch(`${base}/json`, { policy: { allowLoopback: true } });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-test')).toBe('yes');
    expect(await response.json()).toMatchObject({ method: 'GET', host: `127.0.0.1:${json.port}` });
  });

  it('reaches localhost by name with allowLoopback', async () => {
    const response = await loopbackFetch()(`http://localhost:${json.port}/json`);
    expect(await response.json()).toMatchObject({ method: 'GET' });
  });

  it('reaches IPv6 loopback [::1] with allowLoopback, and refuses it by default', async () => {
    const v6 = await startServer((_request, response) => response.end('v6'), '::1');
    await expectRefusedBeforeConnecting(safeFetch(`http://[::1]:${v6.port}/`), v6, 'allowLoopback');
    await expectRefusedBeforeConnecting(safeFetch(`https://[::1]:${v6.port}/`), v6, 'allowLoopback');
    expect(await (await loopbackFetch()(`http://[::1]:${v6.port}/`)).text()).toBe('v6');
  });

  it.each([
    ['decimal', '2130706433'],
    ['hexadecimal', '0x7f000001'],
    ['octal', '0177.0.0.1'],
    ['short', '127.1'],
    ['trailing dot', '127.0.0.1.'],
  ])(
    'treats the %s IPv4 form %s as 127.0.0.1, refused by default and reachable with allowLoopback',
    async (_, host) => {
      await expectRefusedBeforeConnecting(safeFetch(`http://${host}:${json.port}/`), json, '127.0.0.1');
      await expectRefusedBeforeConnecting(safeFetch(`https://${host}:${json.port}/`), json, '127.0.0.1');
      const response = await loopbackFetch()(`http://${host}:${json.port}/json`);
      expect(await response.json()).toMatchObject({ host: `127.0.0.1:${json.port}` });
    },
  );

  it('refuses IPv4-mapped IPv6 loopback by default', async () => {
    await expectRefusedBeforeConnecting(safeFetch(`http://[::ffff:127.0.0.1]:${json.port}/`), json);
    await expectRefusedBeforeConnecting(
      safeFetch(`https://[::ffff:7f00:1]:${json.port}/`),
      json,
      'allowLoopback',
    );
  });
});

describe('safeFetch: destinations refused whatever the server', () => {
  it.each([
    ['https://10.0.0.1/', 'dangerouslyAllowPrivateNetworks'],
    ['https://[::ffff:10.0.0.1]/', 'dangerouslyAllowPrivateNetworks'],
    ['https://[::ffff:a9fe:a9fe]/latest/meta-data/', 'no safeFetch policy option allows it'],
    ['https://169.254.169.254/latest/meta-data/', 'no safeFetch policy option allows it'],
    ['https://[64:ff9b::10.0.0.1]/', 'no safeFetch policy option allows it'],
    ['https://[fd00::1]/', 'dangerouslyAllowPrivateNetworks'],
    ['https://[fe80::1]/', 'no safeFetch policy option allows it'],
    ['https://0.0.0.0/', 'no safeFetch policy option allows it'],
    ['https://0/', 'no safeFetch policy option allows it'],
    ['https://255.255.255.255/', 'no safeFetch policy option allows it'],
    ['https://224.0.0.1/', 'no safeFetch policy option allows it'],
    ['https://192.0.2.1/', 'no safeFetch policy option allows it'],
  ])('refuses %s, saying: %s', async (url, hint) => {
    const error = await rejectionOf(loopbackFetch()(url));
    expect(error).toMatchObject({ code: 'ERR_FETCH_REFUSED', attribute: 'address' });
    expect(error.message).toContain(hint);
  });

  it('still refuses link-local and metadata addresses with every option on', async () => {
    const everything = loopbackFetch({ dangerouslyAllowPrivateNetworks: true });
    for (const url of [
      'https://169.254.169.254/',
      'https://[::ffff:169.254.169.254]/',
      'https://100.100.100.200/',
    ]) {
      await expect(everything(url)).rejects.toMatchObject({ code: 'ERR_FETCH_REFUSED' });
    }
  });

  it('refuses plain http to anything but loopback, even with every option on', async () => {
    const everything = loopbackFetch({ dangerouslyAllowPrivateNetworks: true });
    for (const url of ['http://10.0.0.1/', 'http://example.com/', 'http://93.184.215.14/']) {
      const error = await rejectionOf(everything(url));
      expect(error).toMatchObject({ code: 'ERR_FETCH_REFUSED', attribute: 'url' });
      expect(error.message).toContain('use https:');
    }
    await expect(safeFetch('http://example.com/')).rejects.toMatchObject({
      code: 'ERR_FETCH_REFUSED',
      message: expect.stringContaining('allowLoopback'),
    });
  });

  it.each([
    'ftp://127.0.0.1/file',
    'file:///etc/passwd',
    'data:application/json,{}',
    'javascript:alert(1)',
    'ws://127.0.0.1/',
    'not a url',
    '/relative/path',
  ])('refuses %s: only http(s) absolute URLs', async (url) => {
    await expect(loopbackFetch()(url)).rejects.toMatchObject({ code: 'ERR_FETCH_REFUSED', attribute: 'url' });
  });

  it('refuses URLs with userinfo outright, without echoing the credentials', async () => {
    for (const url of [
      `http://alice:hunter2@127.0.0.1:${json.port}/`,
      `http://alice@127.0.0.1:${json.port}/`,
      `http://:hunter2@127.0.0.1:${json.port}/`,
    ]) {
      const error = await expectRefusedBeforeConnecting(loopbackFetch()(url), json, 'userinfo');
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('alice');
    }
  });
});

describe('safeFetch: redirects, limits, time, abort', () => {
  it('does not follow a redirect: it is refused with the target described without its query', async () => {
    const error = await rejectionOf(loopbackFetch()(`${base}/redirect?token=abc`));
    expect(error).toMatchObject({
      code: 'ERR_FETCH_REFUSED',
      attribute: 'location',
      actual: 'http://127.0.0.1:1/next',
    });
    expect(error.message).toContain('302');
    expect(error.message).toContain('never follows redirects');
    expect(error.message).not.toContain('abc');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('secret-code');
  });

  it('ignores redirect: "follow" in the init (fetch compatibility) and still refuses', async () => {
    await expect(loopbackFetch()(`${base}/redirect`, { redirect: 'follow' })).rejects.toMatchObject({
      attribute: 'location',
    });
  });

  it('returns non-redirect error statuses and null-body statuses as responses', async () => {
    const missing = await loopbackFetch()(`${base}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
    const empty = await loopbackFetch()(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('sends a POST with a form body', async () => {
    const response = await loopbackFetch()(`${base}/introspect`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'x' }),
    });
    expect(await response.json()).toMatchObject({
      method: 'POST',
      body: 'token=x',
      type: expect.stringContaining('application/x-www-form-urlencoded'),
    });
  });

  it('refuses early when Content-Length exceeds maxResponseBytes, and accepts exactly the limit', async () => {
    const sized = await startServer((request, response) => {
      const size = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('size'));
      response.writeHead(200, { 'content-length': String(size) }).end('a'.repeat(size));
    });
    const limited = loopbackFetch({ maxResponseBytes: 1000 });
    const error = await rejectionOf(limited(`http://127.0.0.1:${sized.port}/?size=1001`));
    expect(error).toMatchObject({
      code: 'ERR_RESPONSE_TOO_LARGE',
      attribute: 'content-length',
      actual: 1001,
    });
    expect(error.message).toContain('maxResponseBytes');
    expect((await (await limited(`http://127.0.0.1:${sized.port}/?size=1000`)).text()).length).toBe(1000);
  });

  it('stops reading a chunked body without Content-Length once it passes the limit', async () => {
    const endless = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => response.write('x'.repeat(512)), 1);
      response.on('close', () => clearInterval(timer));
    });
    const error = await rejectionOf(
      loopbackFetch({ maxResponseBytes: 4096 })(`http://127.0.0.1:${endless.port}/`),
    );
    expect(error).toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE', attribute: 'body' });
  });

  it('accepts a chunked body of exactly the limit', async () => {
    const chunked = await startServer((_request, response) => {
      response.write('y'.repeat(600));
      response.end('y'.repeat(400));
    });
    const response = await loopbackFetch({ maxResponseBytes: 1000 })(`http://127.0.0.1:${chunked.port}/`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect((await response.text()).length).toBe(1000);
  });

  it('applies the limit to the decoded body (a small gzip that inflates past the limit is refused)', async () => {
    const bomb = gzipSync(Buffer.alloc(200_000));
    const zipped = await startServer((_request, response) => {
      response
        .writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) })
        .end(bomb);
    });
    expect(bomb.length).toBeLessThan(10_000);
    await expect(
      loopbackFetch({ maxResponseBytes: 10_000 })(`http://127.0.0.1:${zipped.port}/`),
    ).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE', attribute: 'body' });
  });

  it('times out a server that never answers, and one that never finishes its body', async () => {
    const silent = await startServer(() => {});
    const trickle = await startServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
    });
    const quick = loopbackFetch({ timeoutMs: 150 });
    for (const server of [silent, trickle]) {
      const error = await rejectionOf(quick(`http://127.0.0.1:${server.port}/slow?access_token=s3cret`));
      expect(error).toMatchObject({ code: 'ERR_FETCH_TIMEOUT', attribute: 'timeoutMs' });
      expect(error.message).toContain('timeoutMs');
      expect(error.message).not.toContain('s3cret');
    }
  });

  it("rejects with the caller's abort reason, during the request and when already aborted", async () => {
    const silent = await startServer(() => {});
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const pending = loopbackFetch()(`http://127.0.0.1:${silent.port}/`, { signal: controller.signal });
    while (silent.requests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);

    const connections = silent.connections;
    const aborted = AbortSignal.abort(reason);
    expect(await rejectionOf(loopbackFetch()(`http://127.0.0.1:${silent.port}/`, { signal: aborted }))).toBe(
      reason,
    );
    expect(silent.connections).toBe(connections);
  });

  it('reports a network failure as ERR_FETCH_FAILED with its cause, without the query', async () => {
    const gone = await startServer(() => {});
    const port = gone.port;
    await new Promise<void>((resolve) => gone.server.close(() => resolve()));
    const error = await rejectionOf(loopbackFetch()(`http://127.0.0.1:${port}/jwks?secret=1`));
    expect(error).toMatchObject({ code: 'ERR_FETCH_FAILED' });
    expect(error.cause).toBeDefined();
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('secret');
  });

  it('fails every call after close()', async () => {
    const closing = createSafeFetch({ allowLoopback: true });
    expect((await closing(`${base}/json`)).status).toBe(200);
    await closing.close();
    await expect(closing(`${base}/json`)).rejects.toMatchObject({ code: 'ERR_FETCH_FAILED' });
  });
});

describe('safeFetch: misuse', () => {
  it.each([
    [{ method: 'PUT' }, 'ERR_INVALID_ARG_VALUE'],
    [{ method: 'GET', body: 'x' }, 'ERR_INVALID_ARG_VALUE'],
    [{ method: 'POST', body: new Uint8Array(1) }, 'ERR_INVALID_ARG_TYPE'],
    [{ signal: 'stop' }, 'ERR_INVALID_ARG_TYPE'],
    [{ headers: { 'bad header': 'x' } }, 'ERR_INVALID_ARG_TYPE'],
    ['GET', 'ERR_INVALID_ARG_TYPE'],
  ])('rejects init %j with a TypeError %s', async (init, code) => {
    const error = await rejectionOf(loopbackFetch()(`${base}/json`, init as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe(code);
  });

  it('rejects a policy in the init of a createSafeFetch function: it is fixed at creation', async () => {
    const error = await rejectionOf(loopbackFetch()(`${base}/json`, { policy: {} } as never));
    expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    expect(error.message).toContain('fixed at creation');
  });

  it('rejects a url that is neither a string nor a URL', async () => {
    await expect(safeFetch(42 as never)).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });
});
