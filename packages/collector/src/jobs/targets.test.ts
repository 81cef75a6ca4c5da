import { compileGlob } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import { parseSelector } from '../fleet/labels.ts';
import type { Host } from '../store/hosts.ts';
import { resolveTargets } from './targets.ts';

const host = (id: number, name: string, labels: Record<string, string> = {}) =>
  ({ id, name, labels }) as Host;
const hosts = [
  host(1, 'web-1', { env: 'prod', role: 'web' }),
  host(2, 'web-2', { env: 'prod', role: 'web' }),
  host(3, 'db-1', { env: 'prod', role: 'db' }),
  host(4, 'web.test', { env: 'dev' }),
];
const names = (list: Host[]) => list.map((h) => h.name);

describe('targets', () => {
  it('takes the union of ids, names, globs and selectors, each host once, in id order', () => {
    expect(names(resolveTargets({ hosts: [3, 'web-*'], selector: 'role=db' }, hosts))).toEqual([
      'web-1',
      'web-2',
      'db-1',
    ]);
    expect(names(resolveTargets({ all: true }, hosts))).toHaveLength(4);
    expect(names(resolveTargets({ selector: 'env=prod, role=web' }, hosts))).toEqual(['web-1', 'web-2']);
    expect(names(resolveTargets({ hosts: ['web?1'] }, hosts))).toEqual(['web-1']);
  });

  it('treats glob text literally apart from * and ?', () => {
    expect(names(resolveTargets({ hosts: ['web.*'] }, hosts))).toEqual(['web.test']);
    expect(names(resolveTargets({ hosts: ['w(b-*'] }, hosts))).toEqual([]);
  });

  it('answers a backtracking-hostile glob in name × glob steps (took 88 s as a regular expression)', () => {
    const name = 'web-prod-eu-west-1-frontend-node-0000000001';
    const glob = '*?*?*?*?*?*?*?*?*?*?*?*?Z';
    expect(resolveTargets({ hosts: [glob] }, [host(1, name)])).toEqual([]);
    // resolveTargets matches with the compiled glob; its comparisons are counted, not timed.
    const { match, steps } = compileGlob(glob).measure(name);
    expect(match).toBe(false);
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThanOrEqual((name.length + 1) * (glob.length + 1));
  });

  it('names what is wrong', () => {
    expect(() => resolveTargets({}, hosts)).toThrow(/targets needs hosts/);
    expect(() => resolveTargets({ hosts: [9] }, hosts)).toThrow(/no host with id 9/);
    expect(() => resolveTargets({ hosts: ['web-9'] }, hosts)).toThrow(/no host named "web-9"/);
    expect(() => parseSelector('env')).toThrow(/"env" is not key=value/);
    expect(() => parseSelector('=prod')).toThrow(/not key=value/);
    expect(() => parseSelector('e nv=prod')).toThrow(/not a label key/);
    expect(() => parseSelector('env=a=b')).toThrow(/more than one "="/);
  });
});
