import { compileGlob, isGlob, PantauError } from '@pantau/shared';
import type { Host } from '../store/hosts.ts';
import type { Targets } from './types.ts';

const invalid = (message: string): never => {
  throw new PantauError('VALIDATION_FAILED', message);
};

const LABEL_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** `env=prod,role=db` → [[env, prod], [role, db]]; every pair must match. */
export function parseSelector(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) invalid(`targets.selector: "${item}" is not key=value (e.g. env=prod,role=db)`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!LABEL_KEY.test(key))
      invalid(`targets.selector: "${key}" is not a label key (letters, digits, _ . -)`);
    if (value.includes('=')) invalid(`targets.selector: "${item}" has more than one "="`);
    pairs.push([key, value]);
  }
  return pairs;
}

/**
 * The hosts a target set names, in id order and each once: ids, names or globs, a label
 * selector, or all. A name or id that matches no host is an error naming it (a typo must not
 * silently shrink the set); a glob or selector that matches nothing only adds nothing.
 */
export function resolveTargets(targets: Targets, hosts: readonly Host[]): Host[] {
  const given = targets.hosts !== undefined || targets.selector !== undefined || targets.all === true;
  if (!given) invalid('targets needs hosts (ids, names or globs), selector (env=prod) or all: true');
  if (targets.all === false && targets.hosts === undefined && targets.selector === undefined) {
    invalid('targets.all is false and nothing else is given');
  }
  const chosen = new Set<number>();
  if (targets.all === true) for (const h of hosts) chosen.add(h.id);
  for (const item of targets.hosts ?? []) {
    if (typeof item === 'number') {
      if (!hosts.some((h) => h.id === item))
        throw new PantauError('NOT_FOUND', `targets.hosts: no host with id ${item}`);
      chosen.add(item);
    } else if (isGlob(item)) {
      const glob = compileGlob(item);
      for (const h of hosts) if (glob.test(h.name)) chosen.add(h.id);
    } else {
      const host = hosts.find((h) => h.name === item);
      if (!host) throw new PantauError('NOT_FOUND', `targets.hosts: no host named ${JSON.stringify(item)}`);
      chosen.add(host.id);
    }
  }
  if (targets.selector !== undefined) {
    const pairs = parseSelector(targets.selector);
    for (const h of hosts) if (pairs.every(([k, v]) => h.labels[k] === v)) chosen.add(h.id);
  }
  return hosts.filter((h) => chosen.has(h.id));
}
