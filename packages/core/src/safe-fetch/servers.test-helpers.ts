/** Loopback HTTP servers on port 0 for the safeFetch tests, and a helper to catch rejections. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** TCP connections accepted so far: stays 0 when a refusal happened before connecting. */
  connections: number;
  /** HTTP requests received so far. */
  requests: number;
}

const running = new Set<Server>();

/** Starts an HTTP server on `host` (a loopback address), port 0. */
export async function startServer(handler: RequestListener, host = '127.0.0.1'): Promise<TestServer> {
  const server = createServer();
  const state: TestServer = { server, port: 0, connections: 0, requests: 0 };
  server.on('connection', () => {
    state.connections++;
  });
  server.on('request', (request, response) => {
    state.requests++;
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  running.add(server);
  return Object.assign(state, { port: (server.address() as AddressInfo).port });
}

/** Closes every server started by {@link startServer}, dropping open connections. */
export async function closeServers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
  running.clear();
}

/** The value `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
