import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from './config/load.ts';

export interface InstallOptions {
  urls: string[];
  token: string;
  interval?: string;
  allow?: string[];
  /** Written paths are relative to this directory; systemctl runs only when it is "/". */
  root: string;
  dryRun: boolean;
  enable: boolean;
  force: boolean;
  /** Node binary for ExecStart. */
  node: string;
  /** The agent's bin for ExecStart. */
  bin: string;
}

export const UNIT_PATH = '/etc/systemd/system/pantau-agent.service';
export const CONFIG_PATH = '/etc/pantau/agent.yaml';
export const ENV_PATH = '/etc/pantau/agent.env';

const TEMPLATE = join(import.meta.dirname, '..', 'systemd', 'pantau-agent.service');

/**
 * Node flags for the service: a small young generation, and for compiled JavaScript no
 * optimizing compiler (--lite-mode); together about a quarter less memory. Lite mode also turns
 * WebAssembly off, which type stripping needs, so a checkout running its TypeScript keeps it.
 */
export function nodeFlags(fromSource: boolean = RUNS_FROM_SOURCE): string[] {
  return fromSource ? ['--max-semi-space-size=1'] : ['--lite-mode', '--max-semi-space-size=1'];
}

/** True when this is a checkout running its TypeScript sources, false for the compiled package. */
const RUNS_FROM_SOURCE = import.meta.filename.endsWith('.ts');

/** The shipped unit with ExecStart pointing at this installation's node and bin. */
export function renderUnit(node: string, bin: string, configPath = CONFIG_PATH): string {
  const template = readFileSync(TEMPLATE, 'utf8');
  return template.replace(
    /^ExecStart=.*$/m,
    `ExecStart=${node} ${nodeFlags().join(' ')} ${bin} run --config ${configPath}`,
  );
}

/** The config the installer writes: everything but the token, which goes to the env file. */
export function renderConfig(options: Pick<InstallOptions, 'urls' | 'interval' | 'allow'>): string {
  const config: Record<string, unknown> = { collector: { urls: options.urls } };
  if (options.interval) config.interval = options.interval;
  if (options.allow) config.actions = { allow: options.allow };
  return `# pantau-agent config; see docs/agent.md. The token is in ${ENV_PATH}.\n${stringify(config)}`;
}

/**
 * Writes the unit, the config and the token's env file (mode 0600), then daemon-reload and
 * enable --now. With dryRun it only prints what it would do.
 */
export function installService(options: InstallOptions, print: (line: string) => void): void {
  const configText = renderConfig(options);
  // Refuse to install a config the agent itself would refuse.
  loadConfig({
    text: configText,
    file: CONFIG_PATH,
    env: { PANTAU_TOKEN: options.token },
    requireCollector: true,
  });

  const at = (path: string) => (options.root === '/' ? path : join(options.root, path));
  const files: Array<{ path: string; text: string; mode: number; keep?: boolean }> = [
    { path: UNIT_PATH, text: renderUnit(options.node, options.bin), mode: 0o644 },
    { path: CONFIG_PATH, text: configText, mode: 0o644, keep: !options.force },
    { path: ENV_PATH, text: `PANTAU_TOKEN=${options.token}\n`, mode: 0o600 },
  ];
  for (const f of files) {
    const target = at(f.path);
    if (f.keep && existsSync(target)) {
      print(`keep ${target} (exists; --force replaces it)`);
      continue;
    }
    const shown = f.path === ENV_PATH ? 'PANTAU_TOKEN=<token>\n' : f.text;
    print(
      `${options.dryRun ? 'would write' : 'write'} ${target} (mode ${f.mode.toString(8).padStart(4, '0')})`,
    );
    if (options.dryRun) {
      for (const line of shown.trimEnd().split('\n')) print(`    ${line}`);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, f.text, { mode: f.mode });
    chmodSync(target, f.mode);
  }
  const commands = [
    ['systemctl', 'daemon-reload'],
    ...(options.enable ? [['systemctl', 'enable', '--now', 'pantau-agent.service']] : []),
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

export function defaultBin(): string {
  return resolve(import.meta.dirname, '..', 'bin', 'pantau-agent.js');
}
