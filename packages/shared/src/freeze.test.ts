import { describe, expect, it } from 'vitest';
import { deepFreeze } from './freeze.ts';
import { deepFreeze as liteDeepFreeze } from './lite.ts';

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, and returns the same value', () => {
    const config = { gateway: { limits: [1, 2] }, name: 'x' };
    expect(deepFreeze(config)).toBe(config);
    expect(Object.isFrozen(config.gateway)).toBe(true);
    expect(Object.isFrozen(config.gateway.limits)).toBe(true);
    expect(() => {
      (config.gateway.limits as number[]).push(3);
    }).toThrow(TypeError);
  });

  it('leaves regular expressions usable and accepts values that are not objects', () => {
    const config = deepFreeze({ pattern: /a/g });
    expect(Object.isFrozen(config.pattern)).toBe(false);
    expect(config.pattern.exec('aa')?.index).toBe(0);
    expect(deepFreeze(null)).toBe(null);
    expect(deepFreeze(3)).toBe(3);
  });

  it('is the one helper both entry points export', () => {
    expect(liteDeepFreeze).toBe(deepFreeze);
  });
});
