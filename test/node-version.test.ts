// `pnpm start` and the collector's bin under a Node too old to run TypeScript: one line that names
// the Node needed and where to get it, never a stack trace. Uses the machine's own old Node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const OLD_NODE = '/usr/bin/node';

function version(node: string): number[] | null {
  if (!existsSync(node)) return null;
  const out = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim().split('.').map(Number) : null;
}

const old = version(OLD_NODE);
const tooOld = old !== null && (old[0]! < 22 || (old[0] === 22 && old[1]! < 18));
const pnpm = spawnSync('sh', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).stdout.trim();

describe.skipIf(!tooOld || !pnpm)(
  `an old Node (${OLD_NODE} ${old?.join('.') ?? 'absent'}, needs < 22.18)`,
  () => {
    // The old node first on PATH, as on a machine whose distribution ships Node 20.
    const env = { ...process.env, PATH: `${dirname(OLD_NODE)}:${dirname(pnpm)}` };

    it('pnpm start says in one line which Node is needed and how to get it', () => {
      const run = spawnSync(pnpm, ['--silent', 'start'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).not.toBe(0);
      const lines = `${run.stdout}${run.stderr}`.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/needs Node >=22\.18/);
      expect(lines[0]).toContain(`this is Node ${old!.join('.')}`);
      expect(lines[0]).toContain('https://nodejs.org');
      expect(lines[0]).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|\(node:/);
    });

    it("the collector's bin in a checkout says the same instead of a stack trace", () => {
      const run = spawnSync(OLD_NODE, [join(ROOT, 'packages/collector/bin/pantau-collector.js'), 'start'], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/needs Node >= 22\.18.*nodejs\.org/),
      ]);
    });
  },
);
