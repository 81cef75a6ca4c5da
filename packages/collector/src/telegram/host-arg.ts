import type { Host, HostRepo } from '../store/hosts.ts';

/** Most candidates offered as buttons when a host argument is missing or ambiguous. */
export const MAX_CANDIDATES = 8;

export type HostLookup =
  | { kind: 'found'; host: Host }
  | { kind: 'choose'; candidates: Host[]; more: boolean }
  | { kind: 'none' };

/**
 * A host argument as people type it: the exact name, or a prefix that only one host has.
 * Missing or ambiguous arguments give candidates to offer as buttons.
 */
export function lookupHost(
  hosts: Pick<HostRepo, 'getByName' | 'findByPrefix' | 'list'>,
  arg: string,
): HostLookup {
  const name = arg.trim();
  if (name === '') {
    const candidates = hosts.list(0, MAX_CANDIDATES + 1);
    return candidates.length === 0
      ? { kind: 'none' }
      : {
          kind: 'choose',
          candidates: candidates.slice(0, MAX_CANDIDATES),
          more: candidates.length > MAX_CANDIDATES,
        };
  }
  const exact = hosts.getByName(name);
  if (exact !== undefined) return { kind: 'found', host: exact };
  const matches = hosts.findByPrefix(name, MAX_CANDIDATES + 1);
  if (matches.length === 1) return { kind: 'found', host: matches[0]! };
  if (matches.length === 0) return { kind: 'none' };
  return {
    kind: 'choose',
    candidates: matches.slice(0, MAX_CANDIDATES),
    more: matches.length > MAX_CANDIDATES,
  };
}
