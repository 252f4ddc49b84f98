/**
 * Test support for several gatehouse instances behind one public URL: a loopback front proxy (the
 * stand-in for a load balancer: round-robin, or pinned per request with a test header), a browser
 * that plays the real sign-in and consent pages through it, OAuth and MCP requests pinned to one
 * instance, and `gatehouse serve` as a child process (for SIGKILL).
 *
 * Test code only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CookieJar } from './cookie-jar.ts';
import { SOURCE_NODE_FLAGS } from './source-child.ts';

/** The request header that pins a request to one instance (its index in `targets`); the proxy removes it. */
export const INSTANCE_HEADER = 'x-test-instance';

/** A front proxy on 127.0.0.1: what clients see as the public URL of every instance. */
export interface FrontProxy {
  /** `http://127.0.0.1:<port>`: the `--public-url` of every instance behind it. */
  readonly url: string;
  /** The instances' ports; requests without {@link INSTANCE_HEADER} go round-robin over them. */
  targets: number[];
  /** Every forwarded request: which instance got it, method and path. */
  readonly log: { instance: number; method: string; path: string }[];
  close(): Promise<void>;
}

/**
 * Starts the front proxy. It keeps `Host` as the client sent it (so every instance builds the
 * same URLs), answers 502 when the chosen instance is down, and never retries elsewhere.
 */
export async function startFrontProxy(): Promise<FrontProxy> {
  let next = 0;
  const log: FrontProxy['log'] = [];
  const server: Server = createServer((req, res) => {
    const pinned = req.headers[INSTANCE_HEADER];
    const instance = typeof pinned === 'string' ? Number(pinned) : next++ % Math.max(1, proxy.targets.length);
    const port = proxy.targets[instance];
    const headers = { ...req.headers };
    delete headers[INSTANCE_HEADER];
    log.push({ instance, method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/' });
    if (port === undefined) {
      res.writeHead(502).end();
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('instance unreachable');
      else res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const proxy: FrontProxy = {
    url: `http://127.0.0.1:${port}`,
    targets: [],
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** `fetch` through the front proxy, pinned to one instance. */
export function fetchAt(instance: number, url: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(INSTANCE_HEADER, String(instance));
  return fetch(url, { ...init, headers, redirect: 'manual' });
}

function formFields(html: string, marker: string): { action: string; csrf: string } | undefined {
  for (const match of html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
    if (!match[2]?.includes(marker)) continue;
    const csrf = /name="csrf" value="([^"]*)"/.exec(match[2])?.[1] ?? '';
    return { action: (match[1] ?? '').replaceAll('&amp;', '&'), csrf };
  }
  return undefined;
}

/**
 * A browser with a cookie jar playing the sign-in and consent pages of the embedded authorization
 * server. `run` follows redirects and submits forms until the redirect back to the client, asking
 * `instanceFor` before every request which instance gets it.
 */
export class PageBrowser {
  readonly jar = new CookieJar();

  constructor(
    private readonly origin: string,
    private readonly account: { username: string; password: string },
  ) {}

  /** Plays the pages from `start`; resolves the redirect back to the client (code or error). */
  async run(
    start: string,
    instanceFor: (method: string, url: URL) => number | Promise<number>,
  ): Promise<URL> {
    let url = start;
    let init: RequestInit = {};
    for (let hop = 0; hop < 20; hop += 1) {
      const cookie = this.jar.header(url);
      const headers = new Headers(init.headers);
      if (cookie) headers.set('cookie', cookie);
      const response = await fetchAt(await instanceFor(init.method ?? 'GET', new URL(url)), url, {
        ...init,
        headers,
      });
      this.jar.store(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer();
        const next = new URL(location, url);
        if (next.origin !== this.origin) return next;
        url = next.href;
        init = {};
        continue;
      }
      const html = await response.text();
      const signIn = formFields(html, 'name="password"');
      const approve = formFields(html, '>Approve<');
      const form = signIn ?? approve;
      if (form === undefined) throw new Error(`test: unexpected page (HTTP ${response.status})`);
      const body = new URLSearchParams({ csrf: form.csrf });
      if (signIn !== undefined) {
        body.set('username', this.account.username);
        body.set('password', this.account.password);
      }
      url = new URL(form.action, url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin },
        body,
      };
    }
    throw new Error('test: too many steps');
  }
}

/** An MCP `initialize` request with `token` at one instance; resolves the HTTP status. */
export async function mcpInitialize(instance: number, mcpUrl: string, token: string): Promise<number> {
  const response = await fetchAt(instance, mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'scale-out', version: '1' },
      },
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** A free TCP port on 127.0.0.1 (closed again at once: a child process binds it next). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** `gatehouse serve` running as a child process on the sources. */
export interface ServeChild {
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the signal or exit code once it has ended. */
  readonly exited: Promise<string | number | null>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has ended. */
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../packages/gatehouse/src/bin.ts', import.meta.url));

/**
 * Starts `gatehouse serve <args> --port <free port>` in a child process with `env` (on top of
 * PATH and HOME only) and resolves once it prints its banner. Rejects (and kills it) when it
 * exits first or does not start within `timeoutMs`.
 */
export async function startServeChild(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ServeChild> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...SOURCE_NODE_FLAGS, BIN, 'serve', ...args, '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    },
  );
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<string | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const check = (): void => {
      if (out.includes('MCP endpoint')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  if (!started) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`test: gatehouse serve did not start:\n${err}`);
  }
  return { port, process: child, stderr: () => err, exited, stop };
}

/** Whether `req` is a form POST of the sign-in page (`…/interaction/<uid>/login`). */
export function isLoginPost(method: string, url: URL): boolean {
  return method === 'POST' && url.pathname.endsWith('/login');
}
