import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    [' 2s ', 2_000],
    ['0s', 0],
    [250, 250],
  ] as const)('parses %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    ['', /is empty/],
    ['10', /expected a number followed by ms, s, m, h or d/],
    ['10x', /expected a number followed by/],
    ['s', /expected a number followed by/],
    ['-5s', /expected a number followed by/],
    ['1h foo', /expected a number followed by/],
    ['99999999999999999d', /too large/],
  ])('refuses %j with a clear message', (input, message) => {
    expect(() => parseDuration(input)).toThrow(message);
    expect(() => parseDuration(input)).toThrow(DurationError);
  });

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(/finite number ≥ 0/);
    expect(() => parseDuration(Number.NaN)).toThrow(/finite number ≥ 0/);
  });

  it('carries a stable code and quotes the input', () => {
    const err = (() => {
      try {
        parseDuration('soon');
      } catch (e) {
        return e as DurationError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('INVALID_DURATION');
    expect(err?.message).toContain('"soon"');
  });

  it('parses what it formats (to the precision shown)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400 }), (seconds) => {
        const text = `${seconds}s`;
        expect(parseDuration(text)).toBe(seconds * 1000);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1_500, '1.5s'],
    [60_000, '1m'],
    [3_720_000, '1h 2m'],
    [90_061_000, '1d 1h'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
