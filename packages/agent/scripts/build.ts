// Builds the single-file agent (dist/pantau-agent.cjs: the agent and @pantau/shared, no
// node_modules) and the single executable (dist/pantau-agent-linux-<arch>: Node with the bundle
// injected, for hosts without Node). `pnpm build` runs it; tests call buildAgent().
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const PACKAGE = resolve(import.meta.dirname, '..');
/** Node's documented fuse that marks a binary as carrying a SEA blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface Built {
  bundle: string;
  executable?: string;
}

/** Name of the executable for this platform, e.g. pantau-agent-linux-x64; agent.sh asks for it. */
export function executableName(arch: string = process.arch): string {
  return `pantau-agent-linux-${arch}`;
}

export async function buildBundle(outDir: string): Promise<string> {
  const out = join(outDir, 'pantau-agent.cjs');
  await build({
    entryPoints: [join(PACKAGE, 'src', 'main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minifySyntax: true,
    // V8 keeps the whole script's source in memory: whitespace is ~1.2 MB of peak RSS; names stay for stack traces.
    minifyWhitespace: true,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node' },
    // The code asks import.meta where it runs; in CommonJS that is __filename.
    define: { 'import.meta.filename': '__filename', 'import.meta.dirname': '__dirname' },
    logLevel: 'warning',
  });
  chmodSync(out, 0o755);
  return out;
}

/** Node's single executable: a copy of this Node with the bundle injected (needs Node's SEA fuse). */
export async function buildExecutable(bundle: string, outDir: string): Promise<string> {
  const out = join(outDir, executableName());
  const blob = join(outDir, 'sea-prep.blob');
  const seaConfig = join(outDir, 'sea-config.json');
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      // The service's Node flags (see install.ts nodeFlags): no optimizing compiler, small young generation.
      execArgv: ['--lite-mode', '--max-semi-space-size=1'],
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'ignore' });
  copyFileSync(process.execPath, `${out}.tmp`);
  chmodSync(`${out}.tmp`, 0o755);
  const require = createRequire(import.meta.url);
  const { inject } = require('postject') as {
    inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
  };
  await inject(`${out}.tmp`, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  copyFileSync(`${out}.tmp`, out);
  chmodSync(out, 0o755);
  for (const f of [`${out}.tmp`, blob, seaConfig]) rmSync(f, { force: true });
  return out;
}

export async function buildAgent(outDir: string, executable = true): Promise<Built> {
  mkdirSync(outDir, { recursive: true });
  const bundle = await buildBundle(outDir);
  return executable ? { bundle, executable: await buildExecutable(bundle, outDir) } : { bundle };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'no-executable': { type: 'boolean' } },
  });
  const started = Date.now();
  const built = await buildAgent(values.out ?? join(PACKAGE, 'dist'), values['no-executable'] !== true);
  for (const file of Object.values(built))
    process.stdout.write(`${file} ${(statSync(file).size / 1e6).toFixed(1)} MB\n`);
  process.stdout.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
