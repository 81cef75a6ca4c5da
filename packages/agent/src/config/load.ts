import { readFileSync } from 'node:fs';
import type { ActionParam } from '@pantau/shared/lite';
import { deepFreeze, Limits } from '@pantau/shared/lite';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_NAMES, READ_ONLY_ACTIONS } from '../actions/builtin.ts';
import { compilePattern, PLACEHOLDER, patternProblem } from '../actions/params.ts';
import { ConfigError } from './errors.ts';
import type {
  ActionsConfig,
  AgentConfig,
  Cadences,
  CheckConfig,
  CollectorConfig,
  CustomActionConfig,
  LogLevel,
} from './types.ts';
import { describe, join, type Obj, Values } from './values.ts';

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ACTION_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export interface LoadOptions {
  /** YAML file; falls back to env PANTAU_CONFIG; none means defaults plus env. */
  file?: string;
  /** YAML text instead of a file (install-service checks what it is about to write). */
  text?: string;
  env?: NodeJS.ProcessEnv;
  /** `run` and `check-config` need a collector URL and a token; `once` does not. */
  requireCollector: boolean;
}

/** Reads the YAML file and the PANTAU_* env once, validates, fills defaults and freezes the result. */
export function loadConfig(options: LoadOptions): AgentConfig {
  const env = options.env ?? process.env;
  const file = options.text === undefined ? (options.file ?? env.PANTAU_CONFIG) : (options.file ?? 'config');
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = options.text ?? readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(file, 'file', `cannot be read: ${(err as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(file, 'file', `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return deepFreeze(resolve(raw, file ?? 'defaults', env, options.requireCollector));
}

function resolve(
  raw: unknown,
  source: string,
  env: NodeJS.ProcessEnv,
  requireCollector: boolean,
): AgentConfig {
  const v = new Values(source);
  const top = v.object(raw, '', [
    'collector',
    'token',
    'tokenFile',
    'interval',
    'cadences',
    'checkRetry',
    'outbox',
    'checks',
    'actions',
    'docker',
    'log',
    'procRoot',
    'sysRoot',
    'statusFile',
  ]);

  const fallbackInterval = 5 * SECOND;
  const intervalMs = v.attempt(
    () =>
      env.PANTAU_INTERVAL
        ? new Values('PANTAU_INTERVAL').duration(env.PANTAU_INTERVAL, 'interval', SECOND, HOUR)
        : top.interval === undefined
          ? fallbackInterval
          : v.duration(top.interval, 'interval', SECOND, HOUR),
    fallbackInterval,
  );

  const collector = v.attempt(() => readCollector(v, top.collector, env, requireCollector), NO_COLLECTOR);
  const token = v.attempt(() => readToken(v, top, env, requireCollector), '');

  const outboxMax = v.attempt(() => {
    const outbox = top.outbox === undefined ? {} : v.object(top.outbox, 'outbox', ['max']);
    return outbox.max === undefined
      ? Math.ceil(HOUR / intervalMs)
      : v.integer(outbox.max, 'outbox.max', 1, 1_000_000);
  }, 0);
  const logLevel = v.attempt(() => {
    const log = top.log === undefined ? {} : v.object(top.log, 'log', ['level']);
    return env.PANTAU_LOG_LEVEL
      ? new Values('PANTAU_LOG_LEVEL').oneOf(env.PANTAU_LOG_LEVEL, 'log.level', LOG_LEVELS)
      : log.level === undefined
        ? 'info'
        : v.oneOf(log.level, 'log.level', LOG_LEVELS);
  }, 'info' as const);
  const dockerSocket = v.attempt(() => {
    const docker = top.docker === undefined ? {} : v.object(top.docker, 'docker', ['socket']);
    return docker.socket === undefined
      ? '/var/run/docker.sock'
      : v.string(docker.socket, 'docker.socket', '/var/run/docker.sock');
  }, '');

  const statusFile = v.attempt(
    () =>
      env.PANTAU_STATUS_FILE ||
      (top.statusFile === undefined
        ? undefined
        : v.string(top.statusFile, 'statusFile', '/run/pantau/status')),
    undefined,
  );

  const config: AgentConfig = {
    collector,
    token,
    intervalMs,
    cadences: v.attempt(() => readCadences(v, top.cadences), CADENCE_DEFAULTS),
    checkRetryMs: v.attempt(
      () => (top.checkRetry === undefined ? SECOND : v.duration(top.checkRetry, 'checkRetry', 100, HOUR)),
      SECOND,
    ),
    outboxMax,
    outboxMaxIsDefault: top.outbox === undefined || (top.outbox as Obj).max === undefined,
    checks: v.attempt(() => readChecks(v, top.checks), []),
    actions: v.attempt(() => readActions(v, top.actions), NO_ACTIONS),
    procRoot: v.attempt(
      () =>
        env.PANTAU_PROC_ROOT ||
        (top.procRoot === undefined ? '/proc' : v.string(top.procRoot, 'procRoot', '/host/proc')),
      '/proc',
    ),
    sysRoot: v.attempt(
      () =>
        env.PANTAU_SYS_ROOT ||
        (top.sysRoot === undefined ? '/sys' : v.string(top.sysRoot, 'sysRoot', '/host/sys')),
      '/sys',
    ),
    dockerSocket,
    logLevel,
    ...(statusFile ? { statusFile } : {}),
  };
  if (v.problems.length > 0) throw ConfigError.combine(v.problems);
  return config;
}

/** Stand-ins while reading past a problem; never returned, since any problem fails the load. */
const NO_COLLECTOR: CollectorConfig = {
  urls: [],
  pingIntervalMs: 0,
  helloTimeoutMs: 0,
  minDelayMs: 0,
  maxDelayMs: 0,
  fatalDelayMs: 0,
  insecure: false,
};
const NO_ACTIONS: ActionsConfig = {
  allow: [],
  custom: [],
  containers: [],
  maxConcurrent: 0,
  outputCapBytes: 0,
  timeoutMs: 0,
  killGraceMs: 0,
  offlineCapBytes: 0,
  offlineFrames: 0,
};

function readCollector(
  v: Values,
  value: unknown,
  env: NodeJS.ProcessEnv,
  required: boolean,
): CollectorConfig {
  const c =
    value === undefined
      ? {}
      : v.object(value, 'collector', [
          'urls',
          'url',
          'pingInterval',
          'helloTimeout',
          'reconnect',
          'caFile',
          'insecure',
        ]);
  let urls: string[];
  if (env.PANTAU_COLLECTOR_URL) {
    const ev = new Values('PANTAU_COLLECTOR_URL');
    urls = env.PANTAU_COLLECTOR_URL.split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '')
      .map((u, i) => collectorUrl(ev, u, `collector.urls[${i}]`));
  } else {
    if (c.url !== undefined && c.urls !== undefined)
      v.fail('collector.url', 'and collector.urls are both set; keep one');
    const list =
      c.urls !== undefined ? v.array(c.urls, 'collector.urls') : c.url !== undefined ? [c.url] : [];
    const field = c.urls !== undefined ? 'collector.urls' : 'collector.url';
    urls = list.map((u, i) => collectorUrl(v, u, c.urls !== undefined ? join(field, i) : field));
  }
  const insecure = env.PANTAU_INSECURE
    ? new Values('PANTAU_INSECURE').boolean(parseFlag(env.PANTAU_INSECURE), 'collector.insecure')
    : c.insecure === undefined
      ? false
      : v.boolean(c.insecure, 'collector.insecure');
  if (!insecure) {
    const plain = urls.find((u) => !isLoopback(new URL(u)) && u.startsWith('ws:'));
    if (plain) {
      (env.PANTAU_COLLECTOR_URL ? new Values('PANTAU_COLLECTOR_URL') : v).fail(
        'collector.urls',
        `has ${plain}: ws:// sends the token and all data in clear text to a host that is not loopback; use wss:// or set collector.insecure: true (PANTAU_INSECURE=1)`,
      );
    }
  }
  const caSource = env.PANTAU_CA_FILE ? 'PANTAU_CA_FILE' : v.source;
  const caFile = env.PANTAU_CA_FILE
    ? env.PANTAU_CA_FILE
    : c.caFile === undefined
      ? undefined
      : v.string(c.caFile, 'collector.caFile', '/etc/pantau/ca.pem');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new ConfigError(caSource, 'collector.caFile', `cannot be read: ${(err as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new ConfigError(caSource, 'collector.caFile', `${caFile} holds no PEM certificate`);
  }
  if (urls.length > 16) v.fail('collector.urls', `lists ${urls.length} URLs; at most 16 are tried`);
  if (required && urls.length === 0) {
    v.fail(
      'collector.urls',
      'is missing; set collector.urls in the config or PANTAU_COLLECTOR_URL, e.g. wss://collector.example.com/agent',
    );
  }
  const r =
    c.reconnect === undefined
      ? {}
      : v.object(c.reconnect, 'collector.reconnect', ['minDelay', 'maxDelay', 'fatalDelay']);
  const minDelayMs =
    r.minDelay === undefined ? SECOND : v.duration(r.minDelay, 'collector.reconnect.minDelay', 10, HOUR);
  const maxDelayMs =
    r.maxDelay === undefined ? 60 * SECOND : v.duration(r.maxDelay, 'collector.reconnect.maxDelay', 10, DAY);
  if (maxDelayMs < minDelayMs)
    v.fail('collector.reconnect.maxDelay', `must not be below minDelay (${minDelayMs} ms)`);
  return {
    urls,
    pingIntervalMs:
      c.pingInterval === undefined
        ? 5 * SECOND
        : v.duration(c.pingInterval, 'collector.pingInterval', 100, 10 * 60 * SECOND),
    helloTimeoutMs:
      c.helloTimeout === undefined
        ? 10 * SECOND
        : v.duration(c.helloTimeout, 'collector.helloTimeout', 100, 10 * 60 * SECOND),
    minDelayMs,
    maxDelayMs,
    fatalDelayMs:
      r.fatalDelay === undefined
        ? 5 * 60 * SECOND
        : v.duration(r.fatalDelay, 'collector.reconnect.fatalDelay', 10, DAY),
    ...(ca === undefined ? {} : { ca }),
    insecure,
  };
}

/** `1`, `true`, `yes` and `0`, `false`, `no` from an environment variable. */
function parseFlag(text: string): unknown {
  const t = text.trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(t)) return true;
  if (['0', 'false', 'no'].includes(t)) return false;
  return text;
}

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

function collectorUrl(v: Values, value: unknown, field: string): string {
  const text = v.string(value, field, 'wss://collector.example.com/agent');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    v.fail(field, `is not a URL: ${describe(text)}; write e.g. wss://collector.example.com/agent`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    v.fail(field, `must start with ws:// or wss://, got ${describe(text)}`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/agent';
  return url.toString();
}

function readToken(v: Values, top: Obj, env: NodeJS.ProcessEnv, required: boolean): string {
  const fromFile = (path: string, source: string, field: string): string => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(source, field, `cannot be read: ${(err as Error).message}`);
    }
  };
  let token = '';
  let field = 'token';
  let source = v.source;
  if (env.PANTAU_TOKEN) {
    token = env.PANTAU_TOKEN.trim();
    source = 'PANTAU_TOKEN';
  } else if (env.PANTAU_TOKEN_FILE) {
    token = fromFile(env.PANTAU_TOKEN_FILE, 'PANTAU_TOKEN_FILE', 'tokenFile');
    source = 'PANTAU_TOKEN_FILE';
    field = 'tokenFile';
  } else {
    if (top.token !== undefined && top.tokenFile !== undefined)
      v.fail('token', 'and tokenFile are both set; keep one');
    if (top.token !== undefined) token = v.string(top.token, 'token', 'the token the collector printed');
    if (top.tokenFile !== undefined) {
      field = 'tokenFile';
      token = fromFile(v.string(top.tokenFile, 'tokenFile', '/etc/pantau/token'), v.source, 'tokenFile');
    }
  }
  if (token === '' && required) {
    throw new ConfigError(
      source,
      field,
      'is missing or empty; set token or tokenFile in the config, or PANTAU_TOKEN / PANTAU_TOKEN_FILE',
    );
  }
  if (/[\s\0]/.test(token)) throw new ConfigError(source, field, 'must not contain spaces or line breaks');
  if (token.length > 4096) throw new ConfigError(source, field, 'is longer than 4096 characters');
  return token;
}

const CADENCE_DEFAULTS: Cadences = {
  processes: 15 * SECOND,
  ports: 30 * SECOND,
  disks: 30 * SECOND,
  system: HOUR,
  checks: 10 * SECOND,
  containers: 15 * SECOND,
};

function readCadences(v: Values, value: unknown): Cadences {
  if (value === undefined) return { ...CADENCE_DEFAULTS };
  const c = v.object(value, 'cadences', Object.keys(CADENCE_DEFAULTS));
  const out: Record<string, number> = {};
  for (const [key, fallback] of Object.entries(CADENCE_DEFAULTS)) {
    out[key] = c[key] === undefined ? fallback : v.duration(c[key], `cadences.${key}`, SECOND, DAY);
  }
  return out as unknown as Cadences;
}

function readChecks(v: Values, value: unknown): CheckConfig[] {
  if (value === undefined) return [];
  const list = v.array(value, 'checks');
  if (list.length > Limits.items) v.fail('checks', `has ${list.length} entries; at most ${Limits.items}`);
  const names = new Set<string>();
  return list.flatMap((item, i) => v.attempt(() => [readCheck(v, item, i, names)], []));
}

function readCheck(v: Values, item: unknown, i: number, names: Set<string>): CheckConfig {
  const field = join('checks', i);
  const type = v.oneOf(
    v.object(item, field, [
      'name',
      'type',
      'host',
      'port',
      'url',
      'expectStatus',
      'bodyMatch',
      'timeout',
      'insecure',
    ]).type,
    `${field}.type`,
    ['tcp', 'http'] as const,
  );
  const known =
    type === 'tcp'
      ? ['name', 'type', 'host', 'port', 'timeout']
      : ['name', 'type', 'url', 'expectStatus', 'bodyMatch', 'timeout', 'insecure'];
  const c = v.object(item, field, known);
  const name = v.string(c.name, `${field}.name`, 'backend-a');
  if (name.length > Limits.name) v.fail(`${field}.name`, `is longer than ${Limits.name} characters`);
  if (names.has(name))
    v.fail(`${field}.name`, `${JSON.stringify(name)} is used by another check; names must be unique`);
  names.add(name);
  const timeoutMs =
    c.timeout === undefined ? 5 * SECOND : v.duration(c.timeout, `${field}.timeout`, 10, 5 * 60 * SECOND);
  if (type === 'tcp') {
    return {
      name,
      type,
      host: v.string(c.host, `${field}.host`, '127.0.0.1'),
      port: v.integer(c.port, `${field}.port`, 1, 65535),
      timeoutMs,
    };
  }
  const url = v.string(c.url, `${field}.url`, 'http://127.0.0.1:8080/health');
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    v.fail(`${field}.url`, `must be an http:// or https:// URL, got ${describe(url)}`);
  }
  let bodyMatch: RegExp | undefined;
  if (c.bodyMatch !== undefined) {
    const pattern = v.string(c.bodyMatch, `${field}.bodyMatch`, 'ok');
    try {
      bodyMatch = new RegExp(pattern);
    } catch (err) {
      v.fail(`${field}.bodyMatch`, `is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  return {
    name,
    type,
    url,
    expectStatus:
      c.expectStatus === undefined ? 200 : v.integer(c.expectStatus, `${field}.expectStatus`, 100, 599),
    ...(bodyMatch ? { bodyMatch } : {}),
    insecure: c.insecure === undefined ? false : v.boolean(c.insecure, `${field}.insecure`),
    timeoutMs,
  };
}

function readActions(v: Values, value: unknown): ActionsConfig {
  const a =
    value === undefined
      ? {}
      : v.object(value, 'actions', [
          'allow',
          'custom',
          'containers',
          'maxConcurrent',
          'outputCap',
          'timeout',
          'killGrace',
          'offlineCap',
          'offlineFrames',
        ]);
  const custom = readCustom(v, a.custom);
  const customNames = custom.map((c) => c.name);
  let allow: string[];
  if (a.allow === undefined) {
    allow = [...READ_ONLY_ACTIONS, ...customNames];
  } else {
    const list = v.array(a.allow, 'actions.allow');
    allow = list.map((item, i) => {
      const name = v.string(item, join('actions.allow', i), 'ping');
      if (!BUILTIN_NAMES.has(name) && !customNames.includes(name)) {
        v.fail(
          join('actions.allow', i),
          `names unknown action ${JSON.stringify(name)}; built-in actions are ${[...BUILTIN_NAMES].join(', ')}, or define it under actions.custom`,
        );
      }
      return name;
    });
    allow = [...new Set(allow)];
  }
  const containers =
    a.containers === undefined
      ? []
      : v
          .array(a.containers, 'actions.containers')
          .map((item, i) => v.string(item, join('actions.containers', i), 'backend-*'));
  return {
    allow,
    custom,
    containers,
    maxConcurrent:
      a.maxConcurrent === undefined ? 2 : v.integer(a.maxConcurrent, 'actions.maxConcurrent', 1, 64),
    outputCapBytes:
      a.outputCap === undefined
        ? 1024 * 1024
        : v.bytes(a.outputCap, 'actions.outputCap', 1024, 64 * 1024 * 1024),
    timeoutMs: a.timeout === undefined ? 5 * 60 * SECOND : v.duration(a.timeout, 'actions.timeout', 100, DAY),
    killGraceMs:
      a.killGrace === undefined
        ? 5 * SECOND
        : v.duration(a.killGrace, 'actions.killGrace', 0, 5 * 60 * SECOND),
    offlineCapBytes:
      a.offlineCap === undefined
        ? 1024 * 1024
        : v.bytes(a.offlineCap, 'actions.offlineCap', 16 * 1024, 64 * 1024 * 1024),
    offlineFrames:
      a.offlineFrames === undefined
        ? 1_000
        : v.integer(a.offlineFrames, 'actions.offlineFrames', 16, 100_000),
  };
}

function readCustom(v: Values, value: unknown): CustomActionConfig[] {
  if (value === undefined) return [];
  const list = v.array(value, 'actions.custom');
  if (list.length > Limits.actions - 16)
    v.fail('actions.custom', `has ${list.length} entries; at most ${Limits.actions - 16}`);
  const names = new Set<string>();
  return list.map((item, i) => {
    const field = join('actions.custom', i);
    const c = v.object(item, field, ['name', 'description', 'argv', 'params', 'dangerous', 'timeout']);
    const name = v.string(c.name, `${field}.name`, 'restart-app');
    if (!ACTION_NAME.test(name)) {
      v.fail(
        `${field}.name`,
        'must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters',
      );
    }
    if (BUILTIN_NAMES.has(name))
      v.fail(`${field}.name`, `${JSON.stringify(name)} is a built-in action; pick another name`);
    if (names.has(name)) v.fail(`${field}.name`, `${JSON.stringify(name)} is defined twice`);
    names.add(name);
    const params = readParams(v, c.params, `${field}.params`);
    const argvList = v.array(c.argv, `${field}.argv`);
    if (argvList.length === 0)
      v.fail(`${field}.argv`, 'must list the program and its arguments, e.g. [systemctl, reload, nginx]');
    const argv = argvList.map((arg, j) => {
      const f = join(`${field}.argv`, j);
      if (typeof arg === 'number') return String(arg);
      if (typeof arg !== 'string' || arg === '')
        v.fail(f, `must be a non-empty string, got ${describe(arg)}`);
      // No program can be given one (argv strings end at NUL); Node would refuse to spawn it.
      if (arg.includes('\0')) v.fail(f, 'must not contain a NUL character');
      const m = PLACEHOLDER.exec(arg);
      if (m) {
        if (j === 0) v.fail(f, 'must be the program itself, not a parameter');
        if (!params.some((p) => p.name === m[1]))
          v.fail(f, `uses {{${m[1]}}} but ${field}.params does not define it`);
      } else if (arg.includes('{{')) {
        v.fail(
          f,
          'has a parameter inside a longer argument; parameters replace whole arguments only, e.g. ["--unit", "{{unit}}"]',
        );
      }
      return arg;
    });
    const description =
      c.description === undefined
        ? undefined
        : v.string(c.description, `${field}.description`, 'what it does');
    return {
      name,
      ...(description ? { description: description.slice(0, Limits.text) } : {}),
      argv,
      params,
      dangerous: c.dangerous === undefined ? false : v.boolean(c.dangerous, `${field}.dangerous`),
      ...(c.timeout === undefined ? {} : { timeoutMs: v.duration(c.timeout, `${field}.timeout`, 100, DAY) }),
    };
  });
}

function readParams(v: Values, value: unknown, field: string): ActionParam[] {
  if (value === undefined) return [];
  const map = v.object(value, field, Object.keys(value as object));
  const out: ActionParam[] = [];
  for (const [name, specValue] of Object.entries(map)) {
    const f = join(field, name);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) v.fail(f, 'must be a name of letters, digits and _');
    const s = v.object(specValue, f, [
      'type',
      'values',
      'min',
      'max',
      'pattern',
      'default',
      'required',
      'description',
    ]);
    const kind = v.oneOf(s.type, `${f}.type`, ['enum', 'integer', 'regex'] as const);
    const param: ActionParam = { name, kind };
    if (s.description !== undefined)
      param.description = v.string(s.description, `${f}.description`, 'what it is');
    if (s.required !== undefined) param.required = v.boolean(s.required, `${f}.required`);
    if (kind === 'enum') {
      const values = v
        .array(s.values, `${f}.values`)
        .map((x, j) => (typeof x === 'number' ? String(x) : v.string(x, join(`${f}.values`, j), 'web')));
      if (values.length === 0) v.fail(`${f}.values`, 'must list at least one value');
      param.values = values;
    } else if (kind === 'integer') {
      if (s.min !== undefined) param.min = v.integer(s.min, `${f}.min`, -(2 ** 31), 2 ** 31);
      if (s.max !== undefined) param.max = v.integer(s.max, `${f}.max`, -(2 ** 31), 2 ** 31);
      if (param.min !== undefined && param.max !== undefined && param.min > param.max)
        v.fail(`${f}.max`, `must not be below min (${param.min})`);
    } else {
      const pattern = v.string(s.pattern, `${f}.pattern`, '^[a-z0-9-]+$');
      const problem = patternProblem(pattern);
      if (problem) v.fail(`${f}.pattern`, `cannot be run: ${problem}`);
      param.pattern = pattern;
    }
    for (const key of ['values', 'min', 'max', 'pattern'] as const) {
      const belongs = { values: 'enum', min: 'integer', max: 'integer', pattern: 'regex' }[key];
      if (s[key] !== undefined && belongs !== kind) v.fail(join(f, key), `only applies to type ${belongs}`);
    }
    if (s.default !== undefined) {
      const d = s.default;
      if (kind === 'integer') {
        param.default = v.integer(d, `${f}.default`, param.min ?? -(2 ** 31), param.max ?? 2 ** 31);
      } else {
        const text = typeof d === 'number' ? String(d) : v.string(d, `${f}.default`, 'a value');
        if (kind === 'enum' && !(param.values ?? []).includes(text))
          v.fail(`${f}.default`, `must be one of ${(param.values ?? []).join(', ')}`);
        if (kind === 'regex' && !compilePattern(param.pattern ?? '').test(text))
          v.fail(`${f}.default`, `must match ${param.pattern}`);
        param.default = text;
      }
    }
    out.push(param);
  }
  if (out.length > Limits.params) v.fail(field, `defines ${out.length} parameters; at most ${Limits.params}`);
  return out;
}
