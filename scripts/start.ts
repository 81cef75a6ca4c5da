// `pnpm start`: the embedded default. A collector with its SQLite file in ./data, this machine
// added as a host, and a local agent reporting to it. Ctrl-C stops both.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_ACTOR } from '../packages/collector/src/access/actor.ts';
import { defaults, loadConfig } from '../packages/collector/src/config/index.ts';
import { startCollector } from '../packages/collector/src/main.ts';
import { hashToken } from '../packages/collector/src/security/tokens.ts';
import { ensureConsoleBuilt } from '../packages/web/scripts/build.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const agentBin = join(root, 'packages/agent/bin/pantau-agent.js');
const collectorCmd = 'node packages/collector/bin/pantau-collector.js';

const quiet = process.env.PANTAU_LOG_LEVEL ? {} : { logLevel: 'warn' as const };
// A development setup listens on loopback unless told otherwise (PANTAU_HOST or the YAML file).
const loaded = loadConfig({ overrides: quiet });
const config =
  process.env.PANTAU_HOST || loaded.host !== defaults.host
    ? loaded
    : loadConfig({ overrides: { ...quiet, host: '127.0.0.1' } });
// The web console is built on the first start and whenever its sources changed since.
if (await ensureConsoleBuilt({ quiet: true })) console.log('pantau: web console built');
// No "create a token" warning: the first admin token is made and printed below; the console
// admin's password is printed here rather than a link in the log.
const running = await startCollector(config, { warnNoToken: false, firstAdmin: 'password' });
const { store, access } = running.app.pantau;

// This machine as a host, idempotent across restarts: its agent token lives in the data dir (0600).
const name = hostname().replace(/[^A-Za-z0-9_.-]/g, '-') || 'localhost';
const tokenFile = join(config.dataDir, 'local-agent.token');
let host = store.hosts.getByName(name);
const saved = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : null;
if (!host) {
  const added = store.hosts.add(name, { local: 'true' });
  host = added.host;
  writeFileSync(tokenFile, `${added.token}\n`, { mode: 0o600 });
  store.audit.record({ id: 'start', surface: 'cli' }, 'host.add', `host:${host.id}`, { name });
} else if (!saved || store.hosts.byTokenHash(hashToken(saved))?.id !== host.id) {
  writeFileSync(tokenFile, `${store.hosts.rotateToken(host.id)}\n`, { mode: 0o600 });
  store.audit.record({ id: 'start', surface: 'cli' }, 'host.token.rotate', `host:${host.id}`);
}
chmodSync(tokenFile, 0o600);

// The first admin token is printed once; later starts say how to make another.
let adminLine: string;
if (access.repos.tokens.live() === 0) {
  const { secret } = access.tokens.create(CLI_ACTOR, { name: 'admin (pnpm start)', role: 'admin' });
  adminLine = `admin API token (shown only now; keep it): ${secret}`;
} else {
  adminLine = `admin API token: created on the first start; make another with\n    ${collectorCmd} tokens create --role admin`;
}

// The console's first admin: a password printed once, like the token; later starts say how to set one.
const first = running.firstAdmin;
const consoleLine =
  first && 'password' in first
    ? `console login ${first.name} / ${first.password} (shown only now)`
    : `console login admin; set a new password with ${collectorCmd} users passwd admin`;

let agent: ChildProcess | null = null;
// Ctrl-C stops both from here on: armed before the agent starts and the banner says so, so a
// signal sent the moment the banner appears finds its handler.
let stopping = false;
async function stop(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  console.log(`pantau: ${signal}, stopping`);
  const force = setTimeout(() => {
    agent?.kill('SIGKILL');
    process.exit(1);
  }, 5_000);
  force.unref();
  const child = agent;
  if (child) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    // An agent that does not stop in 3 s is killed: none is left behind, and the collector
    // still gets its time to close cleanly.
    const slow = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(slow);
  }
  await running.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('SIGHUP', stop);
const agentConfig = process.env.PANTAU_AGENT_CONFIG;
const agentReady =
  existsSync(agentBin) &&
  !readFileSync(join(root, 'packages/agent/src/cli.ts'), 'utf8').includes('not built yet');
if (agentReady) {
  // PANTAU_CONFIG names the collector's YAML, which the agent would refuse (unknown keys), and a
  // PANTAU_TOKEN in the environment would win over the local token file: neither is the agent's.
  // The agent's own YAML (checks, actions, ...) comes from PANTAU_AGENT_CONFIG.
  const {
    PANTAU_CONFIG: _config,
    PANTAU_TOKEN: _token,
    PANTAU_AGENT_CONFIG: _agentConfig,
    ...inherited
  } = process.env;
  agent = spawn(process.execPath, [agentBin, 'run'], {
    stdio: 'inherit',
    env: {
      ...inherited,
      ...(agentConfig ? { PANTAU_CONFIG: agentConfig } : {}),
      PANTAU_COLLECTOR_URL: `ws://${loopback(config.host)}:${running.port}/agent`,
      PANTAU_TOKEN_FILE: tokenFile,
      PANTAU_PARENT_PID: String(process.pid),
    },
  });
  agent.on('exit', (code, signal) => {
    if (!stopping)
      console.log(`pantau: the local agent exited (${signal ?? code}); the collector keeps running`);
    agent = null;
  });
}

const exposure = isLoopback(config.host)
  ? `listening on ${config.host} only; PANTAU_HOST=0.0.0.0 pnpm start exposes it to the network`
  : `listening on ${config.host} (reachable from the network); PANTAU_HOST=127.0.0.1 keeps it local`;

console.log(`
pantau is running
  ${exposure}
  API           ${running.url}/api/v1   (OpenAPI: ${running.url}/api/v1/openapi.json)
  docs          ${running.url}/api/v1/docs
  metrics       ${running.url}/metrics
  data          ${config.dataDir}
  this host     ${name} (id ${host.id})
  console       ${running.url}/   ${consoleLine}
  ${adminLine}
  ${
    agentReady
      ? `local agent   pid ${agent?.pid}, reporting to ws://${loopback(config.host)}:${running.port}/agent${agentConfig ? `, config ${agentConfig}` : ''}`
      : `local agent   not started: packages/agent is not built yet in this checkout.
                The collector runs on; an agent can connect with PANTAU_COLLECTOR_URL=ws://127.0.0.1:${running.port}/agent
                and PANTAU_TOKEN_FILE=${tokenFile}`
  }
Ctrl-C stops everything.
`);

// Killed parent (pnpm, a terminal, a supervisor): stop rather than run on as an orphan.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop('SIGHUP');
}, 1_000).unref();

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Where the local agent dials: the listen address, or loopback when listening on all interfaces. */
function loopback(host: string): string {
  if (['0.0.0.0', '::', ''].includes(host)) return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
