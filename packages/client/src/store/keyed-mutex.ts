/**
 * A per-key asynchronous mutex: the in-process half of the stores' single-flight (issue 4 item 6).
 * Waiters are served in arrival order; a waiter that runs out of time leaves the queue.
 */
import { TokenStoreLockTimeout } from './errors.js';

/** Gives the lock back; calling it more than once has no further effect. */
export type Release = () => void;

/** Mutual exclusion per string key inside one process. Not re-entrant. */
export class KeyedMutex {
  /** Held keys, each with its queue of waiters (each waiter takes over the lock when called). */
  readonly #held = new Map<string, Array<() => void>>();

  /**
   * Waits for the lock on `key` (at most `timeoutMs`, then rejects with `TokenStoreLockTimeout`
   * carrying `path` when given) and resolves with its release function.
   */
  acquire(key: string, timeoutMs: number, path?: string): Promise<Release> {
    const queue = this.#held.get(key);
    if (queue === undefined) {
      this.#held.set(key, []);
      return Promise.resolve(this.#releaser(key));
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(this.#releaser(key));
      };
      const timer = setTimeout(() => {
        const index = queue.indexOf(waiter);
        if (index !== -1) queue.splice(index, 1);
        reject(new TokenStoreLockTimeout(timeoutMs, path));
      }, timeoutMs);
      queue.push(waiter);
    });
  }

  #releaser(key: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#held.get(key);
      const next = queue?.shift();
      if (next === undefined) this.#held.delete(key);
      else next();
    };
  }
}
