import type { GatewayConfig } from '../gateway/gateway.ts';
import type { JobsConfig } from '../jobs/types.ts';
import type { MonitorConfig } from '../monitor/config.ts';
import type { SmtpConfig } from '../notify/channels/build.ts';
import type { RecipientInput } from '../notify/recipients.ts';
import type { MetricsConfig } from '../remote/config.ts';

/** The collector's configuration after loading: validated, defaulted and frozen. */
export interface CollectorConfig {
  /** Address to listen on. Default `0.0.0.0`. */
  host: string;
  /** TCP port for the API, the console and the agents' WebSocket; 0 picks a free port. Default `8080`. */
  port: number;
  /** Directory holding the SQLite database (`pantau.db`) and its WAL. Default `./data`. */
  dataDir: string;
  /**
   * URL agents and people use to reach this collector (for install commands). Default: derived
   * from host and port (`http://<host>:<port>`).
   */
  publicUrl: string | null;
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default `info`. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** An admin API token accepted in addition to stored ones (secret: prefer `adminTokenFile`). Default none. */
  adminToken: string | null;
  tls: {
    /** PEM certificate chain file; with `tls.key` the collector serves HTTPS and WSS itself, re-read on SIGHUP. Default none (plain HTTP). */
    cert: string | null;
    /** PEM private key file for `tls.cert`. Default none. */
    key: string | null;
  };
  /**
   * Reverse proxies whose `X-Forwarded-For`/`-Proto`/`-Host` are believed: comma-separated
   * addresses or CIDR ranges (e.g. `127.0.0.1,10.0.0.0/8`). Headers from anyone else are ignored.
   * Default none.
   */
  trustProxy: string | null;
  gateway: GatewayConfig;
  install: {
    /**
     * Directory holding the built agent (`pantau-agent-linux-x64`, `-arm64`, `pantau-agent.cjs`,
     * from `pnpm build`) served under /install/. Default: the agent package's dist/ beside this
     * collector (a checkout or the container image).
     */
    dir: string | null;
    /**
     * PEM file of the private CA that signed this collector's certificate; install commands then
     * carry it (`curl --cacert`, `--ca-file`). Default none: a certificate the hosts trust already.
     */
    caFile: string | null;
  };
  enrollment: {
    /** How long an enrollment code stays valid, ms. Default 15 min. */
    codeTtl: number;
    /** Failed enrollment attempts per client address per minute before answering 429. Default 10. */
    failuresPerMinute: number;
  };
  store: {
    /** Longest time a received snapshot waits before its batch is committed, ms. Default 100 ms. */
    flushInterval: number;
    /** Snapshots that trigger an immediate flush. Default 1000. */
    flushRows: number;
    /** How long a writer waits for a lock held by another process, ms. Default 5 s. */
    busyTimeout: number;
  };
  retention: {
    /** Raw snapshots are kept this long, ms. Default 48 h. */
    raw: number;
    /** 1-minute rollups (and disk and check history) are kept this long, ms. Default 30 d. */
    minute: number;
    /** 1-hour rollups are kept this long, ms. Default 365 d. */
    hour: number;
    /** How often retention runs, ms. Default 1 min. */
    interval: number;
    /** Rows deleted per chunk; each chunk is its own short transaction. Default 2000. */
    chunkRows: number;
  };
  /** Metrics in a time-series database over Prometheus remote write. See docs/scale.md. */
  metrics: MetricsConfig;
  api: {
    /** Serve `/metrics` without a token (e.g. for a Prometheus on a private network). Default false. */
    metricsPublic: boolean;
    /** Failed API authentications per client address per minute before answering 429. Default 30. */
    authFailuresPerMinute: number;
    /** Serve the OpenAPI docs page at /api/v1/docs. Default true. */
    docs: boolean;
  };
  access: {
    /** How long a rejected Telegram applicant must wait before applying again, ms. Default 24 h. */
    rejectCooldown: number;
  };
  web: {
    /** A console session ends after this long without a request, ms. Default 30 min. */
    sessionIdle: number;
    /** A console session ends this long after login, however active, ms. Default 12 h. */
    sessionMax: number;
    /** Failed console logins per client address, and per user name, per minute before 429. Default 10. */
    loginFailuresPerMinute: number;
  };
  /** Remote jobs: targets, confirmation, output, reconciliation, history. See docs/jobs.md. */
  jobs: JobsConfig;
  /** Detection and incidents: grace periods, check failures, notification policies, threshold rules. See docs/alerting.md. */
  monitor: MonitorConfig;
  telegram: {
    /** Bot token from @BotFather (secret: prefer `telegram.tokenFile` / `PANTAU_TELEGRAM_TOKEN_FILE`). Default none: no Telegram. */
    token: string | null;
    /** Bot API base URL. Default `https://api.telegram.org`. */
    apiRoot: string | null;
    /**
     * How the bot receives messages: `polling` (long polling, one collector per token), `webhook`
     * (Telegram POSTs to `publicUrl` + `webhookPath`; behind a reverse proxy) or `off` (pushes
     * only). Default `polling`.
     */
    mode: 'polling' | 'webhook' | 'off';
    /** Path of the webhook on this collector. Default `/telegram/webhook`. */
    webhookPath: string;
    /**
     * Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` with every webhook call
     * (16-256 of A-Z a-z 0-9 _ -; prefer `telegram.webhookSecretFile`). Required in webhook mode.
     */
    webhookSecret: string | null;
    /** Time zone of times and chart axes in bot answers (IANA name). Default: the collector's zone. */
    timeZone: string | null;
    /** Messages and button presses one user may send per minute; more are dropped with one warning. Default 30. */
    userRate: number;
  };
  smtp: SmtpConfig;
  notify: {
    /** Recipients from config (replaced at each start; the API and the bot add more). Default none. */
    recipients: readonly Omit<RecipientInput, 'source'>[];
    /** How often the outbox looks for due messages when idle, ms. Default 1 s. */
    pollInterval: number;
  };
}
