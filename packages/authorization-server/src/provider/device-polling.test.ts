import { describe, expect, it } from 'vitest';
import { createPollingTracker, DEVICE_POLLING_DEFAULTS } from './device-polling.js';

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(seconds: number) {
      t += seconds * 1000;
    },
  };
}

describe('createPollingTracker (RFC 8628 §3.5)', () => {
  it('the first poll is on time and keeps the 5-second interval', () => {
    const tracker = createPollingTracker({ now: clock().now });
    expect(tracker.intervalSeconds).toBe(DEVICE_POLLING_DEFAULTS.intervalSeconds);
    expect(tracker.poll('dc1')).toEqual({ slowDown: false, intervalSeconds: 5 });
  });

  it('a poll sooner than the interval gets slow_down and 5 more seconds, for this and later polls', () => {
    const time = clock();
    const tracker = createPollingTracker({ now: time.now });
    tracker.poll('dc1');
    time.advance(1);
    expect(tracker.poll('dc1')).toEqual({ slowDown: true, intervalSeconds: 10 });
    // Five seconds later is now too soon: the interval is 10.
    time.advance(5);
    expect(tracker.poll('dc1')).toEqual({ slowDown: true, intervalSeconds: 15 });
    time.advance(15);
    expect(tracker.poll('dc1')).toEqual({ slowDown: false, intervalSeconds: 15 });
  });

  it('a device keeping the interval is never told to slow down, even a little early (jitter)', () => {
    const time = clock();
    const tracker = createPollingTracker({ now: time.now });
    tracker.poll('dc1');
    for (let i = 0; i < 5; i++) {
      time.advance(4.2);
      expect(tracker.poll('dc1').slowDown).toBe(false);
    }
  });

  it('keeps each device code apart', () => {
    const time = clock();
    const tracker = createPollingTracker({ now: time.now });
    tracker.poll('dc1');
    expect(tracker.poll('dc2').slowDown).toBe(false);
    expect(tracker.poll('dc1').slowDown).toBe(true);
  });

  it('caps the interval', () => {
    const tracker = createPollingTracker({ now: clock().now, maxIntervalSeconds: 12 });
    tracker.poll('dc1');
    expect(tracker.poll('dc1').intervalSeconds).toBe(10);
    expect(tracker.poll('dc1').intervalSeconds).toBe(12);
    expect(tracker.poll('dc1').intervalSeconds).toBe(12);
  });

  it('forget() starts a device code afresh', () => {
    const tracker = createPollingTracker({ now: clock().now });
    tracker.poll('dc1');
    tracker.forget('dc1');
    expect(tracker.size).toBe(0);
    expect(tracker.poll('dc1').slowDown).toBe(false);
  });

  it('forgets codes not polled for a long time, and the oldest beyond maxEntries', () => {
    const time = clock();
    const tracker = createPollingTracker({ now: time.now, forgetAfterSeconds: 60, maxEntries: 3 });
    for (const code of ['a', 'b', 'c', 'd']) tracker.poll(code);
    expect(tracker.size).toBe(3);
    time.advance(61);
    tracker.poll('e');
    expect(tracker.size).toBe(1);
  });

  it('rejects a negative setting with a TypeError naming it', () => {
    expect(() => createPollingTracker({ intervalSeconds: -1 })).toThrow(/"intervalSeconds"/);
  });
});
