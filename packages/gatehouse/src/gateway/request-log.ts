import type { IncomingMessage } from 'node:http';
import type { NodeListener } from './listen.js';
import type { GatewayLogger } from './logger.js';

/** The verified subject of a request, noted by the MCP endpoint for the request log. */
export type SubjectNotes = WeakMap<IncomingMessage, string>;

/**
 * Wraps a listener so that each request is logged once it is over: method, path (never the query
 * string, which may hold an authorization code), status, duration in ms and the token's subject
 * when one was verified. Never headers, never tokens.
 */
export function withRequestLog(
  listener: NodeListener,
  log: GatewayLogger,
  subjects: SubjectNotes,
): NodeListener {
  return (req, res) => {
    const started = performance.now();
    res.once('close', () => {
      const subject = subjects.get(req);
      log.info(
        {
          method: req.method,
          path: pathOf(req.url),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          ...(subject === undefined ? {} : { sub: subject }),
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    });
    listener(req, res);
  };
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
