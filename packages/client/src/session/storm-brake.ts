/**
 * A sliding-window counter of interactive authorizations (issue 4 item 1: "brakes against
 * authorization storms").
 */
import { AuthorizationStormError } from './errors.js';

const WINDOW_MS = 60_000;

/** Allows at most `limit` authorizations per rolling minute; `take()` throws the typed error beyond. */
export function createStormBrake(serverUrl: string, limit: number, now: () => number = Date.now) {
  const started: number[] = [];
  return {
    /** Records one authorization, or throws {@link AuthorizationStormError} when over the limit. */
    take(): void {
      const at = now();
      while (started.length > 0 && (started[0] ?? 0) <= at - WINDOW_MS) started.shift();
      if (started.length >= limit) {
        throw new AuthorizationStormError(serverUrl, limit, (started[0] ?? at) + WINDOW_MS - at);
      }
      started.push(at);
    },
  };
}
