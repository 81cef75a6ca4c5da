import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Module URLs a fresh Node process resolves while importing `entry` (the agent's CLI module). */
function modulesLoadedBy(entry: string): string[] {
  const script = `
    const { registerHooks } = await import('node:module');
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    await import(${JSON.stringify(entry)});
    process.stdout.write(JSON.stringify(seen));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe('agent footprint', () => {
  it('does not load the TypeBox runtime', () => {
    const loaded = modulesLoadedBy(join(import.meta.dirname, 'cli.ts'));
    expect(loaded.some((url) => url.includes('/@pantau/shared/') || url.includes('/shared/src/'))).toBe(true);
    expect(loaded.filter((url) => /\/typebox\//.test(url))).toEqual([]);
  });

  it('does not load ws, node:http, node:https or node:tls with the default config', () => {
    const loaded = modulesLoadedBy(join(import.meta.dirname, 'cli.ts'));
    expect(loaded.filter((url) => /\/ws\/|^node:(http|https|tls)$/.test(url))).toEqual([]);
  });
});
