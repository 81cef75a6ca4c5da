// Builds the console with Vite when its sources changed since the last build, then writes
// pre-compressed .br and .gz copies next to each asset for @fastify/static.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIST = join(WEB_ROOT, 'dist');
const HASH_FILE = '.source-hash';
// What goes into the bundle; a change to any of these makes the built console stale.
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json', 'scripts'];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/** A hash over the console's source files (paths and contents). */
export function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((p) => files(join(WEB_ROOT, p)))) {
    hash.update(relative(WEB_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** The hash the current dist/ was built from, or null when there is no build. */
export function builtHash(outDir = WEB_DIST): string | null {
  const file = join(outDir, HASH_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

function compress(dir: string): void {
  for (const file of files(dir)) {
    if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
    const body = readFileSync(file);
    writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
}

/**
 * Builds dist/ unless it was built from the same sources already. Returns whether it built.
 * `force` builds anyway; `outDir` builds elsewhere than dist/ (absolute).
 */
export async function ensureConsoleBuilt(
  options: { force?: boolean; quiet?: boolean; outDir?: string } = {},
): Promise<boolean> {
  const outDir = options.outDir ?? WEB_DIST;
  const hash = sourceHash();
  if (!options.force && builtHash(outDir) === hash) return false;
  const { build } = await import('vite');
  // Always a production build: Vite keeps a NODE_ENV it finds (vitest sets "test"), and the Preact
  // preset would then bundle its debug tools, so the same sources gave other bytes and names.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: WEB_ROOT,
      configFile: join(WEB_ROOT, 'vite.config.ts'),
      logLevel: options.quiet ? 'warn' : 'info',
      mode: 'production',
      build: { outDir },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  compress(outDir);
  writeFileSync(join(outDir, HASH_FILE), `${hash}\n`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--out-dir');
  const outDir = at > 0 ? resolve(process.argv[at + 1] ?? '') : WEB_DIST;
  const built = await ensureConsoleBuilt({ force: process.argv.includes('--force'), outDir });
  console.log(built ? `console built into ${outDir}` : 'console is up to date');
}
