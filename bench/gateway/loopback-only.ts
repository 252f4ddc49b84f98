/**
 * Preloaded (`node --import`) into the supergateway process of the gateway benchmark: supergateway
 * has no flag for the bind address and listens on every interface, while the benchmark must stay
 * on loopback. Every TCP `listen(port, …)` without a host in that process binds 127.0.0.1 instead.
 */
import { Server } from 'node:net';

const LOOPBACK = '127.0.0.1';
const listen = Server.prototype.listen;

Server.prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]) {
  const [first, second] = args;
  if (typeof first === 'number' && typeof second !== 'string') {
    return listen.apply(this, [first, LOOPBACK, ...args.slice(1)] as never);
  }
  if (typeof first === 'object' && first !== null && 'port' in first && !('host' in first)) {
    return listen.apply(this, [{ ...first, host: LOOPBACK }, ...args.slice(1)] as never);
  }
  return listen.apply(this, args as never);
} as typeof Server.prototype.listen;
