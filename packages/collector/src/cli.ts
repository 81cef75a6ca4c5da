import { parseArgs } from 'node:util';
import { PantauError } from '@pantau/shared';
import { CLI_ACTOR } from './access/actor.ts';
import { type Access, buildAccess } from './access/index.ts';
import { isRole, ROLES, type Role } from './access/roles.ts';
import { USER_STATUSES, type UserStatus } from './access/user-repo.ts';
import { checkHealth } from './cli/health.ts';
import { runCommand, terminalIo } from './cli/run.ts';
import { readSecret } from './cli-secret.ts';
import { type CollectorConfig, loadConfig } from './config/index.ts';
import { EventBus } from './events.ts';
import { buildFleet } from './fleet/index.ts';
import { closeOnSignals, reloadOnHangup, startCollector } from './main.ts';
import { Store } from './store/index.ts';
import { backupDatabase, dbStats } from './store/maintenance.ts';

const HELP = `pantau-collector: stores agent data, serves the API and the agents' WebSocket

Usage:
  pantau-collector start [--config FILE]            run the collector
  pantau-collector health                           ask the collector this config describes whether it is
                                                    ready (GET /readyz over HTTP or HTTPS); exits 0 or 1
  pantau-collector hosts add NAME [--label k=v]...  add a host; prints its agent token once
  pantau-collector hosts list                       list hosts
  pantau-collector tokens create --role ROLE [--name N] [--user NAME]
                                                    create an API token (viewer, operator, admin),
                                                    a user's when --user is given; prints the secret once
  pantau-collector users add NAME --role ROLE [--email E]
                                                    add an active user (the first admin comes from here)
  pantau-collector users passwd NAME                set NAME's web login password: the first line of
                                                    stdin when piped, else asked twice on the terminal
  pantau-collector users list [--status S]          list users (pending, active or disabled)
  pantau-collector users approve NAME --role ROLE   approve a pending applicant
  pantau-collector users reject|disable|enable NAME decide on an applicant, or lock a user out / let them back
  pantau-collector users role NAME --role ROLE      change a user's role
  pantau-collector telegram claim                   print a one-time code (15 min): sending /start CODE to
                                                    the bot in a private chat makes that Telegram user admin
  pantau-collector db migrate                       apply pending database migrations
  pantau-collector db backup FILE                   online backup to FILE (SQLite backup API)
  pantau-collector db stats                         database size and row counts
  pantau-collector run ACTIVITY --hosts 'web-*' [--param k=v]... [--yes]
                                                    run an activity on hosts through a running
                                                    collector's API; see run --help
  pantau-collector --help | --version

Every command takes --config FILE (default: $PANTAU_CONFIG). Options can also come from
PANTAU_* environment variables (e.g. PANTAU_DATA_DIR, PANTAU_PORT); see docs/collector.md.
`;

type Out = {
  out(text: string): void;
  err(text: string): void;
  /** Where `users passwd` reads the password; default: stdin or a terminal prompt. */
  secret?(prompt: string): Promise<string>;
};
const stdio: Out = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Entry point of the bin; returns the process exit code. */
export async function main(argv: string[], io: Out = stdio): Promise<number> {
  // A client of a running collector's API: no config file, no database.
  if (argv[0] === 'run') return runCommand(argv.slice(1), terminalIo(io));
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
        const stopReloading = reloadOnHangup(running);
        const code = await closeOnSignals(running);
        stopReloading();
        return code;
      }
      case 'health': {
        const { ok, line } = await checkHealth(config);
        (ok ? io.out : io.err)(line);
        return ok ? 0 : 1;
      }
      case 'hosts add':
        return await withStore(config, (store) => {
          const name = rest[0];
          if (!name) throw usage('hosts add needs a NAME');
          const labels = Object.fromEntries((values.label ?? []).map(splitLabel));
          const fleet = buildFleet({
            store,
            events: new EventBus(),
            enrollmentTtl: config.enrollment.codeTtl,
          });
          const { host, token } = fleet.hosts.add(CLI_ACTOR, name, labels);
          io.err(`added host ${name} (id ${host.id}); its agent token (shown only now):`);
          io.out(token);
          return 0;
        });
      case 'hosts list':
        return await withStore(config, (store) => {
          for (const h of store.hosts.list(0, 1_000_000)) {
            io.out(
              `${h.id}\t${h.name}\t${h.status}\t${h.lastSeen ? new Date(h.lastSeen).toISOString() : '-'}`,
            );
          }
          return 0;
        });
      case 'tokens create':
        return await withAccess(config, (access) => {
          const role = values.role;
          if (!isRole(role)) throw usage(`tokens create needs --role ${ROLES.join('|')}`);
          const user = values.user === undefined ? null : mustUser(access, values.user);
          const { token, secret } = access.tokens.create(CLI_ACTOR, {
            name: values.name ?? `${role} (cli)`,
            role,
            userId: user?.id ?? null,
          });
          io.err(
            `created ${role} token ${token.id}${user ? ` for ${user.name}` : ''}; the secret (shown only now):`,
          );
          io.out(secret);
          return 0;
        });
      case 'users add':
        return await withAccess(config, async (access) => {
          const name = rest[0];
          const role = values.role;
          if (!name) throw usage('users add needs a NAME');
          if (!isRole(role)) throw usage(`users add needs --role ${ROLES.join('|')}`);
          const user = await access.users.create(CLI_ACTOR, { name, role, email: values.email });
          io.err(
            `added ${role} ${user.name} (id ${user.id}); set a web login with: pantau-collector users passwd ${user.name}`,
          );
          return 0;
        });
      case 'users passwd':
        return await withAccess(config, async (access) => {
          const name = rest[0];
          if (!name) throw usage('users passwd needs a NAME');
          const user = mustUser(access, name);
          const password = await (io.secret ?? readSecret)(`password for ${user.name}: `);
          await access.users.setPassword(CLI_ACTOR, user.id, password);
          io.err(`password set for ${user.name}`);
          return 0;
        });
      case 'users approve':
      case 'users reject':
      case 'users disable':
      case 'users enable':
      case 'users role':
        return await withAccess(config, (access) => {
          const name = rest[0];
          if (!name) throw usage(`users ${sub} needs a NAME`);
          const role = values.role;
          if ((sub === 'approve' || sub === 'role') && !isRole(role)) {
            throw usage(`users ${sub} needs --role ${ROLES.join('|')}`);
          }
          const { id } = mustUser(access, name);
          const { users } = access;
          const user =
            sub === 'approve'
              ? users.approve(CLI_ACTOR, id, role as Role)
              : sub === 'role'
                ? users.setRole(CLI_ACTOR, id, role as Role)
                : sub === 'reject'
                  ? users.reject(CLI_ACTOR, id)
                  : sub === 'disable'
                    ? users.disable(CLI_ACTOR, id)
                    : users.enable(CLI_ACTOR, id);
          io.err(`${user.name} is now ${user.status}, ${user.role}`);
          return 0;
        });
      case 'users list':
        return await withAccess(config, (access) => {
          const status = values.status;
          if (status !== undefined && !(USER_STATUSES as readonly string[]).includes(status)) {
            throw usage(`--status must be one of ${USER_STATUSES.join(', ')}`);
          }
          const users = access.users.list(CLI_ACTOR, {
            status: status as UserStatus | undefined,
            after: 0,
            limit: 1_000_000,
          });
          if (users.length === 0) {
            io.err(
              status ? `no ${status} users` : 'no users yet; the first start of the collector makes admin',
            );
          }
          for (const u of users) {
            io.out(
              [
                u.id,
                u.name,
                u.role,
                u.status,
                u.email ?? '-',
                u.telegramId ?? '-',
                u.hasPassword ? 'password' : '-',
              ].join('\t'),
            );
          }
          return 0;
        });
      case 'telegram claim':
        return await withAccess(config, (access) => {
          const { code, expiresAt } = access.claims.create(CLI_ACTOR);
          io.err(
            `send this to the bot in a private chat before ${new Date(expiresAt).toISOString()} to become admin (works once):`,
          );
          io.out(`/start ${code}`);
          return 0;
        });
      case 'db migrate':
        return await withStore(config, (store) => {
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
        return await withStore(config, (store) => {
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
      user: { type: 'string' },
      email: { type: 'string' },
      status: { type: 'string' },
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

async function withStore(
  config: Readonly<CollectorConfig>,
  fn: (store: Store) => number | Promise<number>,
): Promise<number> {
  const store = openStore(config);
  try {
    return await fn(store);
  } finally {
    store.db.close();
  }
}

/** The same commands the API calls; their events stay in this process (a running collector does not see them). */
function withAccess(
  config: Readonly<CollectorConfig>,
  fn: (access: Access) => number | Promise<number>,
): Promise<number> {
  return withStore(config, (store) =>
    fn(
      buildAccess({
        db: store.db,
        audit: store.audit,
        events: new EventBus(),
        adminToken: null,
        rejectCooldown: config.access.rejectCooldown,
      }),
    ),
  );
}

function mustUser(access: Access, name: string) {
  const user = access.repos.users.byName(name);
  if (!user) throw new PantauError('NOT_FOUND', `no user named ${name}; see pantau-collector users list`);
  return user;
}
