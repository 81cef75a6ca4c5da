import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '@pantau/shared';

export const RUN_HELP = `pantau-collector run: run an activity on many hosts through a running collector

Usage:
  pantau-collector run ACTIVITY (--hosts PATTERN | --selector LABELS | --all) [options]

Targets (at least one):
  --hosts PATTERN         host ids, names or globs, comma-separated or repeated ('web-*,db-1')
  --selector LABELS       label selector, e.g. env=prod,role=db
  --all                   every host

Options:
  --param NAME=VALUE      an activity parameter; repeat for several
  --batch N | N%          hosts running at once (default: all at once)
  --stop-after-failures N | N%
                          start no more hosts after this many failed
  --timeout DURATION      per-host timeout, e.g. 30s or 5m (default: the activity's)
  --yes, -y               confirm a dangerous activity without asking
  --url URL               the collector's HTTP address (default: $PANTAU_URL)
  --token TOKEN           an API token (default: $PANTAU_TOKEN, or the file $PANTAU_TOKEN_FILE)
  --help, -h

Output: each host's lines as they arrive, "host | line" for stdout and "host ! line" for
stderr, then a summary table. Exit code 0 when every host succeeded, 1 when any did not,
2 for a usage or API error.
`;

export type Target = number | string;

export interface RunOptions {
  readonly activity: string;
  readonly targets: { hosts?: Target[]; selector?: string; all?: true };
  readonly params: Record<string, string>;
  readonly batch?: number | string;
  readonly stopAfterFailures?: number | string;
  readonly timeoutMs?: number;
  readonly yes: boolean;
  readonly url: string;
  readonly token: string;
  readonly help: boolean;
}

/** A command line the user has to fix; the message says how. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses `run` arguments and the environment; throws UsageError naming what to fix. */
export function parseRunArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RunOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  if (help) return { activity: '', targets: {}, params: {}, yes: false, url: '', token: '', help };
  if (positionals.length === 0)
    throw new UsageError('run needs an ACTIVITY, e.g. pantau-collector run uptime --all');
  if (positionals.length > 1)
    throw new UsageError(
      `run takes one ACTIVITY, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}; quote a glob such as 'web-*'`,
    );

  const targets: RunOptions['targets'] = {};
  if (values.hosts) {
    const hosts = values.hosts.flatMap((h) => h.split(',')).map((h) => h.trim());
    if (hosts.some((h) => h === ''))
      throw new UsageError('--hosts has an empty entry; write --hosts web-1,web-2');
    targets.hosts = hosts.map((h) => (/^\d+$/.test(h) ? Number(h) : h));
  }
  if (values.selector !== undefined) {
    if (values.selector.trim() === '') throw new UsageError('--selector is empty; write --selector env=prod');
    targets.selector = values.selector;
  }
  if (values.all) targets.all = true;
  if (!targets.hosts && targets.selector === undefined && !targets.all)
    throw new UsageError('say where to run: --hosts PATTERN, --selector LABELS or --all');

  const params: Record<string, string> = {};
  for (const pair of values.param ?? []) {
    const i = pair.indexOf('=');
    if (i < 1) throw new UsageError(`--param expects NAME=VALUE, got ${JSON.stringify(pair)}`);
    const name = pair.slice(0, i);
    if (Object.hasOwn(params, name)) throw new UsageError(`--param ${name} is given twice`);
    params[name] = pair.slice(i + 1);
  }

  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(values.timeout);
    } catch (err) {
      throw new UsageError(`--timeout: ${(err as Error).message}`);
    }
    if (timeoutMs < 100) throw new UsageError('--timeout must be at least 100ms');
  }

  const url = values.url ?? env.PANTAU_URL;
  if (!url) throw new UsageError('no collector address: pass --url http://collector:8080 or set PANTAU_URL');
  if (!/^https?:\/\/[^/]/.test(url))
    throw new UsageError(`--url must be an http:// or https:// address, got ${JSON.stringify(url)}`);

  return {
    activity: positionals[0] as string,
    targets,
    params,
    ...(values.batch !== undefined ? { batch: countOrPercent(values.batch, '--batch') } : {}),
    ...(values['stop-after-failures'] !== undefined
      ? { stopAfterFailures: countOrPercent(values['stop-after-failures'], '--stop-after-failures') }
      : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    yes: values.yes ?? false,
    url: url.replace(/\/+$/, ''),
    token: readToken(values.token, env),
    help,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      hosts: { type: 'string', multiple: true },
      selector: { type: 'string' },
      all: { type: 'boolean' },
      param: { type: 'string', short: 'p', multiple: true },
      batch: { type: 'string' },
      'stop-after-failures': { type: 'string' },
      timeout: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** `10` or `10%`, as the API takes it: a positive count, or a percentage 1–100. */
function countOrPercent(text: string, flag: string): number | string {
  const m = /^(\d+)(%?)$/.exec(text.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || n < 1 || (m[2] === '%' && n > 100))
    throw new UsageError(
      `${flag} takes a count such as 5 or a percentage such as 10%, got ${JSON.stringify(text)}`,
    );
  return m[2] === '%' ? `${n}%` : n;
}

function readToken(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  let token = flag ?? env.PANTAU_TOKEN;
  if (token === undefined && env.PANTAU_TOKEN_FILE) {
    try {
      token = readFileSync(env.PANTAU_TOKEN_FILE, 'utf8');
    } catch (err) {
      throw new UsageError(
        `cannot read PANTAU_TOKEN_FILE ${env.PANTAU_TOKEN_FILE}: ${(err as Error).message}`,
      );
    }
  }
  token = token?.trim();
  if (!token)
    throw new UsageError(
      'no API token: pass --token, or set PANTAU_TOKEN or PANTAU_TOKEN_FILE (create one with tokens create)',
    );
  return token;
}
