import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from './app.ts';
import type { CollectorConfig } from './config/index.ts';
import { ensureFirstAdmin, FIRST_ADMIN, type FirstAdmin } from './web/first-admin.ts';

export interface RunningCollector {
  app: FastifyInstance;
  port: number;
  /** http://127.0.0.1:PORT when listening on all interfaces, else the listen address. */
  url: string;
  /** The console admin this start made (first start only), else null. */
  firstAdmin: FirstAdmin | null;
  /** Stops accepting, commits what is queued, closes agents (4006) and the database. */
  close(): Promise<void>;
}

export interface StartOptions extends BuildOptions {
  /** Warn when no API token exists yet (default true); off where the caller makes the first one. */
  warnNoToken?: boolean;
  /**
   * How the first start's console admin gets a password: a one-time link written to the log
   * (default), or a random password the caller prints (`pnpm start`, on a terminal).
   */
  firstAdmin?: 'link' | 'password';
}

/** Pending connections the kernel may queue for accept (Node's default is 511). */
const LISTEN_BACKLOG = 4096;

/** Builds the collector and listens; the single place that opens the port. */
export async function startCollector(
  config: Readonly<CollectorConfig>,
  options: StartOptions = {},
): Promise<RunningCollector> {
  const app = await buildApp(config, options);
  try {
    // A fleet reconnecting at once (after a restart) outruns Node's default queue of 511
    // pending connections, and the overflow is refused; the kernel caps this at somaxconn.
    await app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const scheme = config.tls.cert ? 'https' : 'http';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const firstAdmin = await ensureFirstAdmin(app.pantau, options.firstAdmin ?? 'link');
  if (firstAdmin && 'link' in firstAdmin) {
    // Warn level, so it shows whatever the log level; the link is the only way to this password.
    app.log.warn(
      { user: FIRST_ADMIN, expiresAt: new Date(firstAdmin.link.expiresAt).toISOString() },
      `first start: console user ${FIRST_ADMIN} created; choose its password at ${firstAdmin.link.url} (works once, within the hour; later: pantau-collector users passwd ${FIRST_ADMIN})`,
    );
  }
  app.log.info({ port, url, dataDir: config.dataDir }, 'collector listening');
  if (
    options.warnNoToken !== false &&
    !config.adminToken &&
    app.pantau.access.repos.tokens.live() === 0 &&
    app.pantau.access.repos.users.activeAdmins() === 0
  ) {
    app.log.warn(
      'no API token or admin exists yet; create the first with: pantau-collector tokens create --role admin (or users add NAME --role admin)',
    );
  }
  let closing: Promise<void> | null = null;
  return {
    app,
    port,
    url,
    firstAdmin,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  };
}

/** SIGHUP re-reads the TLS certificate and key (after a renewal); a bad pair is logged and the old one kept. */
export function reloadOnHangup(running: RunningCollector): () => void {
  const reload = () => {
    try {
      running.app.pantau.reloadTls();
    } catch (err) {
      running.app.log.error({ err }, 'TLS reload failed; still serving the previous certificate');
    }
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}

/** Closes on SIGTERM/SIGINT within `graceMs`; resolves with the exit code once closed. */
export function closeOnSignals(running: RunningCollector, graceMs = 5_000): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      running.app.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        running.app.log.error(`shutdown took longer than ${graceMs} ms; exiting`);
        resolve(1);
      }, graceMs);
      timer.unref();
      running.close().then(
        () => {
          clearTimeout(timer);
          resolve(0);
        },
        (err: unknown) => {
          running.app.log.error({ err }, 'shutdown failed');
          clearTimeout(timer);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
