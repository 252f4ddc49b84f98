/**
 * The address a request came from, for rate limits and the setup page's loopback rule: the TCP
 * peer, or, behind a trusted reverse proxy (`trustProxy`), the address that proxy appended last to
 * `X-Forwarded-For` (the same entry Koa's `ctx.ip` gives the provider with `maxIpsCount = 1`).
 * Earlier entries are whatever the client sent and are never used.
 */
import type { IncomingMessage } from 'node:http';

/**
 * The client address of `req`. Without `trustProxy`, or without an `X-Forwarded-For` header, the
 * TCP peer's address (undefined once the socket is gone). It does NOT check that the peer is a
 * proxy: `trustProxy` is the operator's statement that only the proxy can reach this server.
 *
 * @example
 * clientAddressOf(req, true) // '203.0.113.7' for "X-Forwarded-For: 10.0.0.1, 203.0.113.7"
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const peer = req.socket.remoteAddress;
  if (!trustProxy) return peer;
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  const last = value
    ?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .at(-1);
  return last ?? peer;
}
