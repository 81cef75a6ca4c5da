import { compileGlob, isGlob, PantauError } from '@pantau/shared';
import { parseSelector, selected } from '../fleet/labels.ts';
import type { Host } from '../store/hosts.ts';
import type { Targets } from './types.ts';

const invalid = (message: string): never => {
  throw new PantauError('VALIDATION_FAILED', message);
};

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
    for (const h of hosts) if (selected(pairs, h.labels)) chosen.add(h.id);
  }
  return hosts.filter((h) => chosen.has(h.id));
}
