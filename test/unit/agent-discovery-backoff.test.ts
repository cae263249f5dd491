// The watchers' reconnect delays: exponential, capped, jittered, reset after success.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/agent/discovery/backoff.js';

describe('Backoff', () => {
  it('doubles from the first delay up to the cap, each delay between half and all of its step', () => {
    const lows = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect(Array.from({ length: 7 }, () => lows.next())).toEqual([50, 100, 200, 400, 500, 500, 500]);
    const highs = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.999999);
    expect(Array.from({ length: 7 }, () => highs.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
  it('spreads agents that failed together (jitter) and starts over after reset()', () => {
    const delays = Array.from({ length: 200 }, () => new Backoff({ initialMs: 1000, maxMs: 30_000 }).next());
    expect(new Set(delays).size).toBeGreaterThan(50);
    const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(50);
  });
  it('defaults: 0.5 s first, 30 s cap', () => {
    const b = new Backoff({}, () => 0.999999);
    expect(b.next()).toBe(500);
    for (let i = 0; i < 50; i++) b.next();
    expect(b.next()).toBe(30_000);
  });
});
