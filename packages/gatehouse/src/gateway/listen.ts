import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A node:http request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A running HTTP server and how to stop it. */
export interface RunningHttpServer {
  readonly server: Server;
  /** `https` when serving with a certificate, else `http`. */
  readonly protocol: 'http' | 'https';
  /** The bound address, e.g. `{ address: '127.0.0.1', port: 8080 }`. */
  readonly address: AddressInfo;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/**
 * Listens with a node:http listener — over TLS (node:https) when `tls` gives a PEM certificate
 * chain and key; `port` 0 picks a free port. Idle keep-alive connections are closed on `close()`,
 * in-flight requests finish first.
 */
export async function listen(
  listener: NodeListener,
  options: { host: string; port: number; tls?: { cert: string | Buffer; key: string | Buffer } },
): Promise<RunningHttpServer> {
  const server: Server =
    options.tls === undefined
      ? createServer(listener)
      : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener);
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
    protocol: options.tls === undefined ? 'http' : 'https',
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
