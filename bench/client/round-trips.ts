/**
 * Counting HTTP round trips at the server: every request a node:http server answered, with its
 * path, and who made it (the MCP client itself, or the user's browser on the sign-in pages).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** One answered request. */
export interface RoundTrip {
  readonly method: string;
  /** The path with random ids (interaction uids) replaced by `:id`, so runs add up. */
  readonly path: string;
  readonly status: number;
  /** `browser`: the authorization endpoint and the sign-in/consent pages; `client`: all else. */
  readonly by: 'client' | 'browser';
}

/** A path segment that is a random identifier (interaction uid, …), not a route name. */
const RANDOM_ID = /^(?=.*[0-9A-Z])[A-Za-z0-9_-]{16,}$/;

function normalize(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => (RANDOM_ID.test(segment) ? ':id' : segment))
    .join('/');
}

function isBrowserPath(path: string): boolean {
  return /\/(auth|interaction)(\/|$)/.test(path);
}

/** Records every request `server` answers; `since(mark)` returns those after a `mark()`. */
export function recordRoundTrips(server: Server) {
  const trips: RoundTrip[] = [];
  // First in line: the gateway's own listener rewrites `req.url` for the mounted provider.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = normalize(new URL(req.url ?? '/', 'http://localhost').pathname);
    res.on('finish', () => {
      trips.push({
        method: req.method ?? '',
        path,
        status: res.statusCode,
        by: isBrowserPath(path) ? 'browser' : 'client',
      });
    });
  });
  return {
    mark: () => trips.length,
    since: (mark: number) => trips.slice(mark),
  };
}

/** `METHOD path status` of each trip, counted: e.g. `POST /mcp 401 ×1`. */
export function countByPath(trips: readonly RoundTrip[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const trip of trips) {
    const key = `${trip.by.padEnd(8)}${trip.method} ${trip.path} → ${trip.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()];
}
