// The collector's src/ folders form no cycle (type-only imports count too): no two import each
// other, directly or round a longer loop; config/ sits above the areas whose sections it composes.

import { join } from 'node:path';
import { cruise } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { BELOW_CONFIG, cruiseOptions } from '../folder-deps.config.ts';

const COLLECTOR = join(import.meta.dirname, '..');

/** `from>to` → the files of `from` that import `to`. */
async function folderEdges(): Promise<Map<string, Set<string>>> {
  const cwd = process.cwd();
  process.chdir(COLLECTOR);
  try {
    const result = await cruise(['src'], { ...cruiseOptions, outputType: 'json' });
    const output = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
    const folder = (path: string) => /^src\/([^/]+)\//.exec(path)?.[1];
    const edges = new Map<string, Set<string>>();
    for (const module of output.modules as { source: string; dependencies: { resolved: string }[] }[]) {
      const from = folder(module.source);
      for (const dependency of module.dependencies) {
        const to = folder(dependency.resolved);
        if (from === undefined || to === undefined || from === to) continue;
        const key = `${from}>${to}`;
        edges.set(key, (edges.get(key) ?? new Set()).add(module.source));
      }
    }
    return edges;
  } finally {
    process.chdir(cwd);
  }
}

/** Cycles in the folder graph, each as the folders round it (`a, b, a`); empty when there are none. */
function folderCycles(edges: Map<string, Set<string>>): string[][] {
  const next = new Map<string, string[]>();
  for (const key of edges.keys()) {
    const [from, to] = key.split('>') as [string, string];
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string) => {
    state.set(folder, 'open');
    path.push(folder);
    for (const to of next.get(folder) ?? []) {
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    path.pop();
    state.set(folder, 'done');
  };
  for (const folder of [...next.keys()].sort()) if (!state.has(folder)) visit(folder);
  return cycles;
}

describe('collector folder dependencies', async () => {
  const edges = await folderEdges();

  it('reads the import graph (a parser that sees nothing would pass everything)', () => {
    expect(edges.get('api>store')?.size).toBeGreaterThan(0);
    expect(edges.has('store>api')).toBe(false);
  });

  it('keeps the REST API and the console apart: sessions and CSRF sit below both', () => {
    expect([...(edges.get('api>web') ?? [])]).toEqual([]);
    expect([...(edges.get('web>api') ?? [])]).toEqual([]);
  });

  it("keeps the console's sign-in off the agents' channel: the failure limiter is security/'s", () => {
    expect([...(edges.get('session>gateway') ?? [])]).toEqual([]);
    expect(edges.get('session>security')?.size).toBeGreaterThan(0);
  });

  it('has no cycle of folders: none import each other, directly or round a longer loop', () => {
    const cycles = folderCycles(edges).map((loop) =>
      loop
        .slice(1)
        .map((to, i) => `${loop[i]} -> ${to} (${[...edges.get(`${loop[i]}>${to}`)!].join(', ')})`)
        .join('; '),
    );
    expect(cycles).toEqual([]);
  });

  it('finds a cycle round three folders, as well as between two', () => {
    const loop = (keys: string[]) => folderCycles(new Map(keys.map((k) => [k, new Set<string>()])));
    expect(loop(['a>b', 'b>c', 'c>a'])).toEqual([['a', 'b', 'c', 'a']]);
    expect(loop(['a>b', 'b>a'])).toEqual([['a', 'b', 'a']]);
    expect(loop(['a>b', 'b>c', 'a>c'])).toEqual([]);
  });

  it('keeps config/ above the areas whose sections it composes', () => {
    expect(edges.get('config>remote')?.size).toBeGreaterThan(0);
    const upward = BELOW_CONFIG.flatMap((folder) => [...(edges.get(`${folder}>config`) ?? [])]);
    expect(upward).toEqual([]);
  });
});
