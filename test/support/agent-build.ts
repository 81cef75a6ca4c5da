import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type Built, buildAgent, executableName } from '../../packages/agent/scripts/build.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const INPUTS = [
  'packages/agent/src',
  'packages/agent/scripts',
  'packages/agent/package.json',
  'packages/shared/src',
];

function files(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

let pending: Promise<Built> | undefined;

/**
 * The bundle and the single executable of the current sources, built once per content hash in a
 * temporary folder, so test files share one build and an unchanged tree builds nothing.
 */
export function agentBuild(): Promise<Built> {
  pending ??= (async () => {
    const hash = createHash('sha256').update(process.version);
    for (const file of INPUTS.flatMap((p) => files(join(ROOT, p))).filter((f) => !f.endsWith('.test.ts')))
      hash.update(relative(ROOT, file)).update(readFileSync(file));
    const dir = join(tmpdir(), `pantau-agent-build-${hash.digest('hex').slice(0, 16)}`);
    const bundle = join(dir, 'pantau-agent.cjs');
    const executable = join(dir, executableName());
    if (!existsSync(dir)) {
      // Built aside and renamed into place: test files in other workers may build at the same time.
      const aside = `${dir}.${process.pid}`;
      await buildAgent(aside);
      try {
        renameSync(aside, dir);
      } catch {
        rmSync(aside, { recursive: true, force: true });
      }
    }
    return { bundle, executable };
  })();
  return pending;
}
