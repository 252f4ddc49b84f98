import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';

/** A running HTTP server and how to stop it. */
export interface RunningHttpServer {
  readonly server: Server;
  /** The bound address, e.g. `{ address: '127.0.0.1', port: 8080 }`. */
  readonly address: AddressInfo;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/**
 * Serves a web-standard `fetch` handler on node:http (through `@hono/node-server`'s request
 * listener). `port` 0 picks a free port. Idle keep-alive connections are closed on `close()`.
 */
export async function listen(
  handler: (request: Request) => Promise<Response> | Response,
  options: { host: string; port: number },
): Promise<RunningHttpServer> {
  const server = createServer(getRequestListener(handler));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
