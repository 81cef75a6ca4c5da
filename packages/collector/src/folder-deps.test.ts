// No two folders of the collector's src/ import each other (type-only imports count too); config/
// sits above the areas whose sections it composes.

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

  it('has no two folders importing each other', () => {
    const cycles = [...edges.keys()]
      .map((key) => key.split('>') as [string, string])
      .filter(([a, b]) => a < b && edges.has(`${b}>${a}`))
      .map(
        ([a, b]) => `${a} <-> ${b}: ${[...edges.get(`${a}>${b}`)!, ...edges.get(`${b}>${a}`)!].join(', ')}`,
      );
    expect(cycles).toEqual([]);
  });

  it('keeps config/ above the areas whose sections it composes', () => {
    expect(edges.get('config>remote')?.size).toBeGreaterThan(0);
    const upward = BELOW_CONFIG.flatMap((folder) => [...(edges.get(`${folder}>config`) ?? [])]);
    expect(upward).toEqual([]);
  });
});
