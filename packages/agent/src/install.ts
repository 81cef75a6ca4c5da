import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { isSea } from 'node:sea';
import { stringify } from 'yaml';
import { loadConfig } from './config/load.ts';
import { unitText } from './unit.ts';

/** What the unit runs: the single executable, or Node with a script (the bundle or a checkout's bin). */
export type Program =
  | { kind: 'executable'; path: string }
  | { kind: 'bundle'; node: string; path: string }
  | { kind: 'checkout'; node: string; path: string };

export interface InstallOptions {
  urls: string[];
  token: string;
  interval?: string;
  allow?: string[];
  /** A PEM file to trust for the collector; copied to CA_PATH. */
  caFile?: string;
  insecure?: boolean;
  /** Written paths are relative to this directory; systemctl runs only when it is "/". */
  root: string;
  dryRun: boolean;
  enable: boolean;
  force: boolean;
  program: Program;
}

export const UNIT_PATH = '/etc/systemd/system/pantau-agent.service';
export const CONFIG_PATH = '/etc/pantau/agent.yaml';
export const TOKEN_PATH = '/etc/pantau/agent.token';
export const CA_PATH = '/etc/pantau/ca.pem';
/** Where the single executable is installed. */
export const EXECUTABLE_PATH = '/usr/local/bin/pantau-agent';
/** Where the single-file bundle is installed (run by the host's Node). */
export const BUNDLE_PATH = '/usr/local/lib/pantau/pantau-agent.cjs';

/** Install problems the user fixes by changing the command: exit code 2. */
export class InstallError extends Error {}

/** True when this is a checkout running its TypeScript sources. */
const RUNS_FROM_SOURCE = import.meta.filename.endsWith('.ts');

/**
 * Node flags for the service: a small young generation, Node's bootstrap run rather than read
 * from its startup snapshot (about 3 MB less peak RSS for a TLS client, 0.04 s more CPU once at
 * start), and for compiled JavaScript no optimizing compiler (--lite-mode). Lite mode also turns
 * WebAssembly off, which type stripping needs, so a checkout running its TypeScript keeps it.
 * The single executable is built with the same flags (scripts/build.ts).
 */
export function nodeFlags(fromSource: boolean = RUNS_FROM_SOURCE): string[] {
  const flags = ['--max-semi-space-size=1', '--no-node-snapshot'];
  return fromSource ? flags : ['--lite-mode', ...flags];
}

/** The program running now: the single executable, the bundle, or a checkout's bin. */
export function currentProgram(node: string = process.execPath): Program {
  if (isSea()) return { kind: 'executable', path: process.execPath };
  if (import.meta.filename.endsWith('.cjs')) return { kind: 'bundle', node, path: import.meta.filename };
  return { kind: 'checkout', node, path: resolve(import.meta.dirname, '..', 'bin', 'pantau-agent.js') };
}

/**
 * A path a service must not run from: temporary folders are cleaned, caches are pruned
 * (npx, pnpm dlx, CI toolchains), and either leaves a unit that fails after the next reboot.
 */
export function transientReason(path: string): string | undefined {
  const temps = [tmpdir(), '/tmp', '/var/tmp', '/dev/shm'];
  if (temps.some((t) => path === t || path.startsWith(t.endsWith(sep) ? t : `${t}${sep}`)))
    return 'a temporary folder';
  const parts = path.split(sep);
  if (parts.some((p) => p === '.cache' || p === '_npx' || p === 'dlx' || p === '.npm' || p === 'Cache'))
    return 'a cache folder';
  return undefined;
}

/** Where the program is installed and how the unit starts it. */
function placement(program: Program): { copy?: { from: string; to: string }; execStart: string } {
  const run = `run --config ${CONFIG_PATH}`;
  switch (program.kind) {
    case 'executable':
      return { copy: { from: program.path, to: EXECUTABLE_PATH }, execStart: `${EXECUTABLE_PATH} ${run}` };
    case 'bundle':
      return {
        copy: { from: program.path, to: BUNDLE_PATH },
        execStart: `${program.node} ${nodeFlags(false).join(' ')} ${BUNDLE_PATH} ${run}`,
      };
    case 'checkout':
      return { execStart: `${program.node} ${nodeFlags().join(' ')} ${program.path} ${run}` };
  }
}

/** The unit for a program; refuses one whose ExecStart would run from a temporary or cache folder. */
export function renderUnit(program: Program): string {
  const { execStart } = placement(program);
  const runs =
    program.kind === 'executable'
      ? []
      : [program.node, ...(program.kind === 'checkout' ? [program.path] : [])];
  for (const path of runs) {
    const reason = transientReason(path);
    if (reason) {
      throw new InstallError(
        `the unit would run ${path}, which is in ${reason} and may be gone after a reboot; ` +
          (program.kind === 'checkout'
            ? 'install the single executable instead (curl -fsSL https://COLLECTOR/install/agent.sh | sudo sh), or pass --node with a Node in a lasting place'
            : 'pass --node /usr/bin/node (Node 22.18 or newer), or install the single executable'),
      );
    }
  }
  return unitText(execStart);
}

/** The config the installer writes: everything but the token, which has its own 0600 file. */
export function renderConfig(
  options: Pick<InstallOptions, 'urls' | 'interval' | 'allow' | 'caFile' | 'insecure'>,
): string {
  const collector: Record<string, unknown> = { urls: options.urls };
  if (options.caFile) collector.caFile = CA_PATH;
  if (options.insecure) collector.insecure = true;
  const config: Record<string, unknown> = { collector, tokenFile: TOKEN_PATH };
  if (options.interval) config.interval = options.interval;
  if (options.allow) config.actions = { allow: options.allow };
  return `# pantau-agent config; see docs/agent.md. The token is in ${TOKEN_PATH}.\n${stringify(config)}`;
}

/**
 * Copies the program to a lasting place, writes the unit, the config, the token file (0600) and
 * the CA, then daemon-reload and enable --now. With dryRun it only prints what it would do.
 * Running it again replaces the program, the unit and the token and keeps the config.
 */
export function installService(options: InstallOptions, print: (line: string) => void): void {
  const configText = renderConfig(options);
  // Refuse to install a config the agent itself would refuse.
  loadConfig({
    text: configText,
    file: CONFIG_PATH,
    env: { PANTAU_TOKEN: options.token, ...(options.caFile ? { PANTAU_CA_FILE: options.caFile } : {}) },
    requireCollector: true,
  });
  const unit = renderUnit(options.program);
  const { copy } = placement(options.program);

  const at = (path: string) => (options.root === '/' ? path : join(options.root, path));
  if (copy) {
    const target = at(copy.to);
    if (resolve(copy.from) === resolve(target)) print(`keep ${target} (already installed)`);
    else {
      print(`${options.dryRun ? 'would copy' : 'copy'} ${copy.from} to ${target}`);
      if (!options.dryRun) {
        mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
        // Copy then rename: a running binary cannot be overwritten in place (ETXTBSY).
        copyFileSync(copy.from, `${target}.new`);
        chmodSync(`${target}.new`, 0o755);
        renameSync(`${target}.new`, target);
      }
    }
  }
  const files: Array<{ path: string; text: string; mode: number; keep?: boolean; secret?: boolean }> = [
    { path: UNIT_PATH, text: unit, mode: 0o644 },
    { path: CONFIG_PATH, text: configText, mode: 0o644, keep: !options.force },
    { path: TOKEN_PATH, text: `${options.token}\n`, mode: 0o600, secret: true },
  ];
  if (options.caFile) files.push({ path: CA_PATH, text: loadCa(options.caFile), mode: 0o644 });
  for (const f of files) {
    const target = at(f.path);
    if (f.keep && existsSync(target)) {
      print(`keep ${target} (exists; --force replaces it)`);
      continue;
    }
    print(
      `${options.dryRun ? 'would write' : 'write'} ${target} (mode ${f.mode.toString(8).padStart(4, '0')})`,
    );
    if (options.dryRun) {
      for (const line of (f.secret ? '<token>' : f.text).trimEnd().split('\n')) print(`    ${line}`);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, f.text, { mode: f.mode });
    chmodSync(target, f.mode);
  }
  const commands = [
    ['systemctl', 'daemon-reload'],
    ...(options.enable
      ? [
          ['systemctl', 'enable', 'pantau-agent.service'],
          ['systemctl', 'restart', 'pantau-agent.service'],
        ]
      : []),
  ];
  for (const argv of commands) {
    if (options.dryRun) print(`would run ${argv.join(' ')}`);
    else if (options.root !== '/') print(`skip ${argv.join(' ')} (--root is not /)`);
    else {
      print(`run ${argv.join(' ')}`);
      execFileSync(argv[0] as string, argv.slice(1), { stdio: 'inherit' });
    }
  }
}

function loadCa(file: string): string {
  return loadConfig({
    text: '',
    env: { PANTAU_CA_FILE: file },
    requireCollector: false,
  }).collector.ca as string;
}
