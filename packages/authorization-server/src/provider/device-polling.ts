/**
 * The polling rule of the device authorization grant (RFC 8628 §3.5): a device polls the token
 * endpoint no faster than the `interval` it was given; one that polls faster gets `slow_down`, and
 * its interval grows by 5 seconds "for this and all subsequent requests".
 *
 * oidc-provider 9 does neither (it sends no `interval`, which means 5 seconds, and answers every
 * early poll `authorization_pending`), so this tracker remembers, per device code, when it was
 * last polled and the interval the device must now keep.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '@gatehouse/core';

/** The tracker's settings; each default is in {@link DEVICE_POLLING_DEFAULTS}. */
export interface PollingOptions {
  /** The interval a device starts with (RFC 8628 §3.2 `interval`). Default 5. */
  intervalSeconds?: number;
  /** Added to a device's interval at each `slow_down` (RFC 8628 §3.5: 5). Default 5. */
  slowDownStepSeconds?: number;
  /** The interval stops growing here. Default 60. */
  maxIntervalSeconds?: number;
  /**
   * Milliseconds a poll may come early and still count as on time, for timer and network jitter
   * (a device that sleeps `interval` seconds between polls, or polls on a fixed timer, must not be
   * told to slow down). Default 1000.
   */
  toleranceMs?: number;
  /** A device code not polled for this long is forgotten (longer than any device code lives). Default 3600. */
  forgetAfterSeconds?: number;
  /** Most device codes remembered; the least recently polled go first. Default 10,000. */
  maxEntries?: number;
  /** Now, in milliseconds. Default `Date.now`. For tests. */
  now?: () => number;
}

/** Every default of the polling rule. */
export const DEVICE_POLLING_DEFAULTS = Object.freeze({
  intervalSeconds: 5,
  slowDownStepSeconds: 5,
  maxIntervalSeconds: 60,
  toleranceMs: 1000,
  forgetAfterSeconds: 3600,
  maxEntries: 10_000,
});

/** What one poll amounts to. */
export interface PollResult {
  /** True when the poll came too early: answer `slow_down` instead of `authorization_pending`. */
  readonly slowDown: boolean;
  /** The interval, in seconds, the device must keep from now on. */
  readonly intervalSeconds: number;
}

/** Remembers the polls of pending device codes. */
export interface PollingTracker {
  /**
   * Records a poll of a device code that is still pending (the provider would answer
   * `authorization_pending`) and says whether it came too early. The first poll is always on time.
   */
  poll(deviceCode: string): PollResult;
  /** Forgets a device code (approved, denied, expired or redeemed). */
  forget(deviceCode: string): void;
  /** The interval, in seconds, every device starts with (sent as `interval`). */
  readonly intervalSeconds: number;
  /** How many device codes are remembered. */
  readonly size: number;
}

interface Entry {
  /** When it was last polled, in ms. */
  last: number;
  intervalSeconds: number;
}

/** The map key: a digest, so the tracker never holds a usable device code. */
function keyOf(deviceCode: string): string {
  return createHash('sha256').update(deviceCode).digest('base64url');
}

/**
 * Creates a tracker. In-process only: each instance of a scaled-out deployment sees only the polls
 * it serves, so it may miss an early poll (never flag a timely one). It does NOT check that a
 * device code exists or belongs to the caller: call it only once the provider has (that is, when
 * the provider's answer is `authorization_pending`).
 */
export function createPollingTracker(options: PollingOptions = {}): PollingTracker {
  const settings = { ...DEVICE_POLLING_DEFAULTS, ...definedOnly(options) };
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function prune(t: number): void {
    // Entries are kept in order of their last poll (re-inserted on each), so stale ones lead.
    for (const [key, entry] of entries) {
      if (t - entry.last < settings.forgetAfterSeconds * 1000 && entries.size <= settings.maxEntries) break;
      entries.delete(key);
    }
  }

  return {
    poll(deviceCode) {
      const t = now();
      const key = keyOf(deviceCode);
      const entry = entries.get(key);
      entries.delete(key);
      let result: PollResult;
      if (entry === undefined) {
        result = { slowDown: false, intervalSeconds: settings.intervalSeconds };
      } else if (t - entry.last < entry.intervalSeconds * 1000 - settings.toleranceMs) {
        result = {
          slowDown: true,
          intervalSeconds: Math.min(
            entry.intervalSeconds + settings.slowDownStepSeconds,
            settings.maxIntervalSeconds,
          ),
        };
      } else {
        result = { slowDown: false, intervalSeconds: entry.intervalSeconds };
      }
      entries.set(key, { last: t, intervalSeconds: result.intervalSeconds });
      prune(t);
      return result;
    },
    forget(deviceCode) {
      entries.delete(keyOf(deviceCode));
    },
    intervalSeconds: settings.intervalSeconds,
    get size() {
      return entries.size;
    },
  };
}

function definedOnly(options: PollingOptions): Partial<typeof DEVICE_POLLING_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(DEVICE_POLLING_DEFAULTS) as (keyof typeof DEVICE_POLLING_DEFAULTS)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidArgument(`"${key}" must be a non-negative number`);
    }
    out[key] = value;
  }
  return out;
}
