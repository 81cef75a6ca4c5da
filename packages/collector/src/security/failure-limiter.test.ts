import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './failure-limiter.ts';

describe('FailureLimiter', () => {
  it('blocks a key after its failures in a minute, says when it lifts, and leaves other keys alone', () => {
    const limiter = new FailureLimiter(3);
    const t0 = 1_000_000;
    limiter.fail('a', t0);
    limiter.fail('a', t0 + 10_000);
    expect(limiter.blocked('a', t0 + 10_000)).toBe(false);
    expect(limiter.retryAfter('a', t0 + 10_000)).toBe(0);
    limiter.fail('a', t0 + 20_000);
    expect(limiter.blocked('a', t0 + 20_000)).toBe(true);
    expect(limiter.blocked('b', t0 + 20_000)).toBe(false);
    // The first failure leaves the window at t0 + 60 s: 40 s from now, rounded up.
    expect(limiter.retryAfter('a', t0 + 20_000)).toBe(40);
    expect(limiter.retryAfter('a', t0 + 59_500)).toBe(1);
    expect(limiter.blocked('a', t0 + 60_000)).toBe(false);
    expect(limiter.retryAfter('a', t0 + 60_000)).toBe(0);
  });
});
