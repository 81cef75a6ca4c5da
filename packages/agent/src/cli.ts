import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { PantauError } from '@pantau/shared/lite';
import { startAgent } from './agent.ts';
import { loadConfig } from './config/load.ts';
import type { AgentConfig } from './config/types.ts';
import { ENROLL_DEFAULTS, EnrollError, enroll } from './enroll.ts';
import { currentProgram, InstallError, installService } from './install.ts';
import { createLogger, silentLog } from './log.ts';
import { Sampler } from './snapshot.ts';
import { readStatus } from './status-file.ts';
import { AGENT_VERSION } from './version.ts';

const USAGE = `pantau-agent ${AGENT_VERSION}: host metrics and allowlisted actions for a Pantau collector

Usage:
  pantau-agent run [--config FILE]           stream snapshots to the collector until stopped
  pantau-agent once [--config FILE]          print one full snapshot as JSON and exit
  pantau-agent check-config [--config FILE]  validate the config (and env) and print the result
  pantau-agent status [--config FILE]        whether \`run\` is connected, from its status file
                                             (statusFile, PANTAU_STATUS_FILE); exit 0 connected, 1 not
  pantau-agent install-service [--url URL] [--token-file FILE] [options]
                                             install this program and the systemd service; takes
                                             run's variables (PANTAU_COLLECTOR_URL, PANTAU_TOKEN, ...)
      --interval 5s  --allow ping,uptime  --ca-file FILE  --insecure  --node PATH
      --root DIR  --no-enable  --force  --dry-run
  pantau-agent enroll URL CODE [--name NAME] [--token-file FILE] [--config FILE] [--ca-file FILE]
                                             exchange an enrollment code for this host's token;
                                             writes the token file (0600) and a config, and
                                             prints the install-service command to run next
                                             (--no-next-steps: not, as agent.sh installs itself)
  pantau-agent --help | --version

Config: YAML file (--config or PANTAU_CONFIG); env PANTAU_COLLECTOR_URL, PANTAU_TOKEN,
PANTAU_TOKEN_FILE, PANTAU_CA_FILE, PANTAU_INSECURE, PANTAU_INTERVAL, PANTAU_LOG_LEVEL override it. See docs/agent.md.
Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.
`;

/** Usage and config problems: printed as one line, exit code 2. */
class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof InstallError ||
      err instanceof EnrollError ||
      (err instanceof PantauError && err.code === 'INVALID_CONFIG')
    ) {
      process.stderr.write(`pantau-agent: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`pantau-agent: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

function parse(argv: string[], options: ParseArgsOptionsConfig) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see pantau-agent --help`);
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${AGENT_VERSION}\n`);
      return 0;
    case 'run':
      return run(rest);
    case 'once':
      return once(rest);
    case 'check-config':
      return checkConfig(rest);
    case 'status':
      return status(rest);
    case 'install-service':
      return install(rest);
    case 'enroll':
      return enrollCommand(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; see pantau-agent --help`);
  }
}

function configFrom(rest: string[], requireCollector: boolean): AgentConfig {
  const { values } = parse(rest, { config: { type: 'string', short: 'c' } });
  const file = values.config as string | undefined;
  return loadConfig({ ...(file ? { file } : {}), requireCollector });
}

function status(rest: string[]): number {
  const config = configFrom(rest, false);
  if (!config.statusFile) throw new UsageError('status needs statusFile in the config or PANTAU_STATUS_FILE');
  const verdict = readStatus(config.statusFile);
  process.stdout.write(`${verdict.line}\n`);
  return verdict.ok ? 0 : 1;
}

async function run(rest: string[]): Promise<number> {
  const config = configFrom(rest, true);
  const log = await createLogger(config.logLevel);
  const agent = await startAgent(config, log);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      for (const again of ['SIGTERM', 'SIGINT']) process.once(again, () => process.exit(1)); // a second signal does not wait
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // Started by `pnpm start`: stop with it even when it was killed without a chance to stop us.
    const parent = Number(process.env.PANTAU_PARENT_PID);
    if (parent > 0) {
      setInterval(() => {
        if (process.ppid !== parent) stop('parent exited');
      }, 1_000).unref();
    }
  });
  await agent.stop();
  return 0;
}

/** Rates (CPU, network, disk I/O) need a window; `once` measures over this one. */
const ONCE_WINDOW_MS = 1_000;

async function once(rest: string[]): Promise<number> {
  const config = configFrom(rest, false);
  const sampler = new Sampler(config, silentLog);
  await new Promise((resolve) => setTimeout(resolve, ONCE_WINDOW_MS));
  const body = await sampler.take(60_000);
  process.stdout.write(`${JSON.stringify({ seq: 1, ...body, dropped: 0 }, null, 2)}\n`);
  return 0;
}

function checkConfig(rest: string[]): number {
  const config = configFrom(rest, true);
  const shown = { ...config, token: config.token ? '<set>' : '' };
  process.stdout.write(
    `config ok\n${JSON.stringify(shown, (_k, v) => (v instanceof RegExp ? String(v) : v), 2)}\n`,
  );
  return 0;
}

function install(rest: string[]): number {
  const { values } = parse(rest, {
    url: { type: 'string', multiple: true },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'ca-file': { type: 'string' },
    insecure: { type: 'boolean' },
    interval: { type: 'string' },
    allow: { type: 'string' },
    root: { type: 'string' },
    node: { type: 'string' },
    'no-enable': { type: 'boolean' },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  });
  // The same environment as `run`; a flag wins over its variable.
  const env = process.env;
  const urlList =
    (values.url as string[] | undefined) ?? (env.PANTAU_COLLECTOR_URL ? [env.PANTAU_COLLECTOR_URL] : []);
  const urls = urlList
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0)
    throw new UsageError(
      'install-service needs --url wss://collector.example.com/agent (or PANTAU_COLLECTOR_URL)',
    );
  const readToken = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`${what} ${file} cannot be read: ${(err as Error).message}`);
    }
  };
  const tokenFile = values['token-file'] as string | undefined;
  const token = tokenFile
    ? readToken(tokenFile, '--token-file')
    : ((values.token as string | undefined) ??
      (env.PANTAU_TOKEN
        ? env.PANTAU_TOKEN.trim()
        : env.PANTAU_TOKEN_FILE
          ? readToken(env.PANTAU_TOKEN_FILE, 'PANTAU_TOKEN_FILE')
          : ''));
  if (!token)
    throw new UsageError(
      'install-service needs the agent token: PANTAU_TOKEN, PANTAU_TOKEN_FILE, --token-file FILE or --token',
    );
  const interval = (values.interval as string | undefined) ?? env.PANTAU_INTERVAL;
  const caFile = (values['ca-file'] as string | undefined) ?? env.PANTAU_CA_FILE;
  const insecure = values.insecure === true || /^(1|true|yes)$/i.test(env.PANTAU_INSECURE ?? '');
  const allow = values.allow as string | undefined;
  installService(
    {
      urls,
      token,
      ...(interval ? { interval } : {}),
      ...(caFile ? { caFile } : {}),
      ...(insecure ? { insecure } : {}),
      ...(allow
        ? {
            allow: allow
              .split(',')
              .map((a) => a.trim())
              .filter(Boolean),
          }
        : {}),
      root: (values.root as string | undefined) ?? '/',
      dryRun: values['dry-run'] === true,
      enable: values['no-enable'] !== true,
      force: values.force === true,
      program: currentProgram((values.node as string | undefined) ?? process.execPath),
    },
    (line) => process.stdout.write(`${line}\n`),
  );
  return 0;
}

async function enrollCommand(rest: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        'token-file': { type: 'string' },
        config: { type: 'string' },
        'ca-file': { type: 'string' },
        insecure: { type: 'boolean' },
        'no-next-steps': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see pantau-agent --help`);
  }
  const [url, code, extra] = parsed.positionals;
  if (!url || !code || extra !== undefined)
    throw new UsageError(
      'enroll needs the collector URL and the code: pantau-agent enroll https://collector.example.com CODE',
    );
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const caFile = (v['ca-file'] as string | undefined) ?? process.env.PANTAU_CA_FILE;
  await enroll(
    {
      url,
      code,
      name: (v.name as string | undefined) ?? hostname(),
      tokenFile: (v['token-file'] as string | undefined) ?? ENROLL_DEFAULTS.tokenFile,
      configFile: (v.config as string | undefined) ?? ENROLL_DEFAULTS.configFile,
      ...(caFile ? { caFile } : {}),
      insecure: v.insecure === true,
      nextSteps: v['no-next-steps'] !== true,
    },
    (line) => process.stdout.write(`${line}\n`),
  );
  return 0;
}
