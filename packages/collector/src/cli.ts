import { parseArgs } from 'node:util';
import { PantauError } from '@pantau/shared';
import { type CollectorConfig, loadConfig } from './config/index.ts';
import { closeOnSignals, reloadOnHangup, startCollector } from './main.ts';
import { ROLES, type Role } from './store/access.ts';
import { Store } from './store/index.ts';
import { backupDatabase, dbStats } from './store/maintenance.ts';

const HELP = `pantau-collector: stores agent data, serves the API and the agents' WebSocket

Usage:
  pantau-collector start [--config FILE]            run the collector
  pantau-collector hosts add NAME [--label k=v]...  add a host; prints its agent token once
  pantau-collector hosts list                       list hosts
  pantau-collector tokens create --role ROLE [--name N]
                                                    create an API token (viewer, operator, admin);
                                                    prints the secret once
  pantau-collector db migrate                       apply pending database migrations
  pantau-collector db backup FILE                   online backup to FILE (SQLite backup API)
  pantau-collector db stats                         database size and row counts
  pantau-collector --help | --version

Every command takes --config FILE (default: $PANTAU_CONFIG). Options can also come from
PANTAU_* environment variables (e.g. PANTAU_DATA_DIR, PANTAU_PORT); see docs/collector.md.
`;

type Out = { out(text: string): void; err(text: string): void };
const stdio: Out = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Entry point of the bin; returns the process exit code. */
export async function main(argv: string[], io: Out = stdio): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.err(`pantau-collector: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    io.out(HELP);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  if (values.version) {
    io.out('0.1.0');
    return 0;
  }
  let config: Readonly<CollectorConfig>;
  try {
    config = loadConfig({ file: values.config });
  } catch (err) {
    io.err(`pantau-collector: ${(err as Error).message}`);
    return 2;
  }
  const [command, sub, ...rest] = positionals;
  try {
    switch (`${command} ${sub ?? ''}`.trim()) {
      case 'start': {
        const running = await startCollector(config);
        if (!config.adminToken && running.app.pantau.store.access.tokens(0, 1).length === 0) {
          running.app.log.warn(
            'no API token exists yet; create the first with: pantau-collector tokens create --role admin',
          );
        }
        const stopReloading = reloadOnHangup(running);
        const code = await closeOnSignals(running);
        stopReloading();
        return code;
      }
      case 'hosts add':
        return withStore(config, (store) => {
          const name = rest[0];
          if (!name) throw usage('hosts add needs a NAME');
          if (store.hosts.getByName(name))
            throw new PantauError('CONFLICT', `a host named ${name} exists already`);
          const labels = Object.fromEntries((values.label ?? []).map(splitLabel));
          const { host, token } = store.hosts.add(name, labels);
          store.audit.record('cli', 'host.add', `host:${host.id}`, { name });
          io.err(`added host ${name} (id ${host.id}); its agent token (shown only now):`);
          io.out(token);
          return 0;
        });
      case 'hosts list':
        return withStore(config, (store) => {
          for (const h of store.hosts.list(0, 1_000_000)) {
            io.out(
              `${h.id}\t${h.name}\t${h.status}\t${h.lastSeen ? new Date(h.lastSeen).toISOString() : '-'}`,
            );
          }
          return 0;
        });
      case 'tokens create':
        return withStore(config, (store) => {
          const role = values.role as Role | undefined;
          if (!role || !ROLES.includes(role)) throw usage(`tokens create needs --role ${ROLES.join('|')}`);
          const { token, secret } = store.access.createToken(values.name ?? `${role} (cli)`, role, null);
          store.audit.record('cli', 'token.create', `token:${token.id}`, { role, name: token.name });
          io.err(`created ${role} token ${token.id}; the secret (shown only now):`);
          io.out(secret);
          return 0;
        });
      case 'db migrate':
        return withStore(config, (store) => {
          const { applied, current } = store.migrated;
          io.out(
            applied.length === 0
              ? `database is up to date (schema ${current})`
              : `applied ${applied.map((m) => `${m.id}-${m.name}`).join(', ')}; schema ${current}`,
          );
          return 0;
        });
      case 'db backup': {
        const file = rest[0];
        if (!file) throw usage('db backup needs a FILE');
        const store = openStore(config);
        try {
          const { pages } = await backupDatabase(store.db, file);
          io.out(`backed up ${pages} pages to ${file}`);
          return 0;
        } finally {
          store.db.close();
        }
      }
      case 'db stats':
        return withStore(config, (store) => {
          io.out(JSON.stringify(dbStats(store.db), null, 2));
          return 0;
        });
      default:
        throw usage(`unknown command "${positionals.join(' ')}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pantau-collector: ${err.message}\n\n${HELP}`);
      return 2;
    }
    io.err(`pantau-collector: ${err instanceof PantauError ? `${err.code}: ` : ''}${(err as Error).message}`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      label: { type: 'string', multiple: true },
      role: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}

class UsageError extends Error {}
const usage = (message: string) => new UsageError(message);

function splitLabel(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i < 1) throw usage(`--label expects key=value, got "${text}"`);
  return [text.slice(0, i), text.slice(i + 1)];
}

function openStore(config: Readonly<CollectorConfig>): Store {
  return new Store({
    dataDir: config.dataDir,
    busyTimeout: config.store.busyTimeout,
    retention: config.retention,
  });
}

function withStore(config: Readonly<CollectorConfig>, fn: (store: Store) => number): number {
  const store = openStore(config);
  try {
    return fn(store);
  } finally {
    store.db.close();
  }
}
