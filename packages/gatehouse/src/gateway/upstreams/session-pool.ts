import { type PrincipalFields, principalKey } from './principal.js';
import { UpstreamUnavailableError } from './upstream.js';

/** Something a pool keeps per principal: a child process and its MCP session. */
export interface PooledSession {
  /** Ends the session (stops the process). Must not throw. */
  close(): Promise<void>;
}

/** Options of {@link SessionPool}. All required; the CLI's defaults are in `serve-options.ts`. */
export interface SessionPoolOptions<S extends PooledSession> {
  /** At most this many sessions at once; one more principal gets a 503. */
  readonly maxSessions: number;
  /** A session with no request in flight for this long is closed. */
  readonly idleTimeoutMs: number;
  /** What the sessions are, plural, for error messages: `upstream processes`, `upstream sessions`. */
  readonly noun: string;
  /** The flag that raises the limit, named in the 503 message. */
  readonly limitFlag: string;
  /**
   * Opens a session for a principal. `gone` is to be called when the session ends on its own (the
   * process exited), so that the next request opens a new one.
   */
  open(principal: PrincipalFields | undefined, gone: () => void): Promise<S>;
  /** Told when a session is closed for being idle. */
  onIdle?(session: S): void;
}

/** A session lent to one request; `release()` when the request is over (idempotent). */
export interface SessionLease<S> {
  readonly session: S;
  release(): void;
}

interface Entry<S> {
  readonly key: string;
  ready: Promise<S>;
  inflight: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * One session per principal (issuer + subject + client), never shared across principals, opened
 * on first use, closed after an idle period, bounded in number. Concurrent first requests of one
 * principal share one opening.
 */
export class SessionPool<S extends PooledSession> {
  readonly #options: SessionPoolOptions<S>;
  readonly #entries = new Map<string, Entry<S>>();
  #closing = false;

  constructor(options: SessionPoolOptions<S>) {
    if (!Number.isInteger(options.maxSessions) || options.maxSessions < 1) {
      throw new RangeError('"maxSessions" must be a positive integer');
    }
    if (!(options.idleTimeoutMs > 0)) throw new RangeError('"idleTimeoutMs" must be positive');
    this.#options = options;
  }

  /** The number of sessions open or opening. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Lends the principal's session, opening it when there is none.
   *
   * @throws {UpstreamUnavailableError} 503 when the limit is reached or the pool is closing; whatever
   *   `open` throws when the session cannot be opened.
   */
  async acquire(principal: PrincipalFields | undefined): Promise<SessionLease<S>> {
    if (this.#closing)
      throw new UpstreamUnavailableError(503, 'the gateway is shutting down', { retryAfter: 5 });
    const key = principalKey(principal);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.#options.maxSessions) {
        const { maxSessions, noun, limitFlag } = this.#options;
        throw new UpstreamUnavailableError(
          503,
          `all ${maxSessions} ${noun} are in use by other users; try again later (the operator can raise ${limitFlag})`,
          { retryAfter: 30 },
        );
      }
      entry = this.#open(key, principal);
    }
    entry.inflight++;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    let session: S;
    try {
      session = await entry.ready;
    } catch (error) {
      entry.inflight--;
      throw error;
    }
    let released = false;
    const owner = entry;
    return {
      session,
      release: () => {
        if (released) return;
        released = true;
        owner.inflight--;
        if (owner.inflight === 0 && this.#entries.get(key) === owner && !this.#closing)
          this.#scheduleIdle(owner);
      },
    };
  }

  /** Closes every session (in parallel) and refuses new requests. */
  async close(): Promise<void> {
    this.#closing = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        clearTimeout(entry.idleTimer);
        const session = await entry.ready.catch(() => undefined);
        await session?.close();
      }),
    );
  }

  #open(key: string, principal: PrincipalFields | undefined): Entry<S> {
    const entry: Entry<S> = {
      key,
      ready: Promise.resolve(undefined as unknown as S),
      inflight: 0,
      idleTimer: undefined,
    };
    const gone = () => {
      clearTimeout(entry.idleTimer);
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    entry.ready = this.#options.open(principal, gone).catch((error: unknown) => {
      gone();
      throw error;
    });
    this.#entries.set(key, entry);
    return entry;
  }

  #scheduleIdle(entry: Entry<S>): void {
    entry.idleTimer = setTimeout(() => {
      if (entry.inflight > 0 || this.#entries.get(entry.key) !== entry) return;
      this.#entries.delete(entry.key);
      void entry.ready.then(
        async (session) => {
          this.#options.onIdle?.(session);
          await session.close();
        },
        () => {},
      );
    }, this.#options.idleTimeoutMs);
    entry.idleTimer.unref();
  }
}
