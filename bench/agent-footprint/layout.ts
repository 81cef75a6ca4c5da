// Lays the agent out the way `npm install @pantau/agent` would: what `pnpm build` puts in dist/
// (the compiled JavaScript of @pantau/agent and @pantau/shared, their publishConfig exports
// applied, and the agent's single-file bundle, which its bin runs) under node_modules, with the
// third-party dependencies linked from this checkout. Nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle } from '../../packages/agent/scripts/build.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Builds both packages (tsc, and the agent's bundle) and returns the installed bin's path inside `dir`. */
export async function installedLayout(dir: string): Promise<string> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const pkg of ['shared', 'agent']) {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'packages', pkg, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
  }
  const modules = join(dir, 'node_modules');
  for (const [pkg, parts] of [
    ['agent', ['bin', 'dist', 'package.json']],
    ['shared', ['dist', 'package.json']],
  ] as const) {
    const target = join(modules, '@pantau', pkg);
    mkdirSync(target, { recursive: true });
    for (const part of parts)
      cpSync(join(ROOT, 'packages', pkg, part), join(target, part), {
        recursive: true,
        filter: (src) => !/pantau-agent(-linux-\w+|\.cjs)$/.test(src), // built fresh below
      });
    const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    manifest.exports = manifest.publishConfig.exports;
    writeFileSync(join(target, 'package.json'), JSON.stringify(manifest, null, 2));
  }
  // `pnpm build` also writes the single-file bundle (and the executable, not needed here) to dist/.
  await buildBundle(join(modules, '@pantau', 'agent', 'dist'));
  for (const [dep, from] of [
    ['yaml', 'agent'],
    ['typebox', 'shared'],
  ] as const) {
    symlinkSync(realpathSync(join(ROOT, 'packages', from, 'node_modules', dep)), join(modules, dep));
  }
  return join(modules, '@pantau', 'agent', 'bin', 'pantau-agent.js');
}
