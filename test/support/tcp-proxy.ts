/**
 * A TCP forwarder on 127.0.0.1 that a test can take down and bring back on the same port: the
 * stand-in for "the database server restarted" or "the network dropped", without stopping the
 * real server other tests share.
 *
 * Test code only.
 *
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * // connect to 127.0.0.1:proxy.port …
 * await proxy.down(); // open connections reset, new ones refused
 * await proxy.up();   // accepting again, same port
 * await proxy.close();
 */
import { createServer, type Server, Socket } from 'node:net';

/** A running forwarder. */
export interface TcpProxy {
  /** The port it listens on (stays the same across down / up). */
  readonly port: number;
  /** Resets every forwarded connection and stops listening (connections are refused). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Same as `down`, for cleanup; idempotent. */
  close(): Promise<void>;
}

/** Starts forwarding 127.0.0.1:<random port> to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    const next = createServer((client) => {
      const upstream = new Socket();
      sockets.add(client);
      sockets.add(upstream);
      const forget = (): void => {
        sockets.delete(client);
        sockets.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', forget).on('close', forget);
      upstream.on('error', forget).on('close', forget);
      upstream.connect(target.port, target.host);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    const address = next.address();
    if (address && typeof address === 'object') port = address.port;
    server = next;
  };

  const down = async (): Promise<void> => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    down,
    up: listen,
    close: down,
  };
}
