/**
 * Test support: the token-injecting hop in front of `gatehouse serve` for the conformance suite,
 * which cannot authenticate. It adds `Authorization: Bearer <token>` to every request and relays
 * it to the gateway. A `Host` or `Origin` naming the hop itself is rewritten to the gateway's; any
 * other (the suite's DNS-rebinding probes) passes unchanged, so the gateway's own Host/Origin
 * checks are what the suite tests. Test code only.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running hop. */
export interface TokenHop {
  /** The hop's URL for `path`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a hop on 127.0.0.1 port 0 that relays to `target` (an http URL) with `token`. */
export async function startTokenHop(target: string, token: string, path = '/mcp'): Promise<TokenHop> {
  const to = new URL(target);
  let own = '';
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    if (req.headers.host === own) headers.host = to.host;
    if (req.headers.origin === `http://${own}`) headers.origin = to.origin;
    const relayed = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    relayed.on('error', () => res.destroy());
    res.on('close', () => relayed.destroy());
    req.pipe(relayed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  own = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${own}${path}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
