import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { deepFreeze, explain, formatDuration, PantauError, parseDuration } from '@pantau/shared';
import { parse as parseYaml } from 'yaml';
import { CHANNEL_SETTING } from '../notify/recipients.ts';
import {
  type QueryInput,
  type RemoteWriteInput,
  resolveQuery,
  resolveRemoteWrite,
} from '../remote/config.ts';
import { defaults, type OptionSpec, optionKinds } from './defaults.ts';
import type { CollectorConfig } from './types.ts';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? DeepPartial<T[K]> : T[K] };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `gateway.maxPayload` → `PANTAU_GATEWAY_MAX_PAYLOAD`. */
export function envName(path: string): string {
  return `PANTAU_${path
    .split('.')
    .map((part) => part.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase())
    .join('_')}`;
}

export interface LoadOptions {
  /** YAML file; `PANTAU_CONFIG` when absent; no file at all is fine. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and env (tests and the embedded start use this). */
  overrides?: DeepPartial<CollectorConfig>;
  /** Relative paths (dataDir, *File) resolve against this. Default: the working directory. */
  cwd?: string;
}

/** Reads defaults ← YAML ← PANTAU_* env ← overrides, validates everything once, and freezes the result. */
export function loadConfig(options: LoadOptions = {}): Readonly<CollectorConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const raw = new Map<string, { value: unknown; source: string }>();

  const file = options.file ?? env.PANTAU_CONFIG;
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(resolve(cwd, file), 'utf8'));
    } catch (err) {
      throw new PantauError('INVALID_CONFIG', `cannot read config file ${file}: ${(err as Error).message}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new PantauError('INVALID_CONFIG', `config file ${file} must hold a YAML mapping of options`);
      }
      flatten(doc as Record<string, unknown>, '', raw, `${file}`, problems);
    }
  }
  for (const path of Object.keys(optionKinds)) {
    const name = envName(path);
    if (env[name] !== undefined && env[name] !== '') raw.set(path, { value: env[name], source: name });
    if (optionKinds[path]?.kind === 'secret' && env[`${name}_FILE`]) {
      raw.set(`${path}File`, { value: env[`${name}_FILE`], source: `${name}_FILE` });
    }
  }
  if (options.overrides)
    flatten(options.overrides as Record<string, unknown>, '', raw, 'overrides', problems);

  const config = structuredClone(defaults) as unknown as Record<string, unknown>;
  for (const [path, { value, source }] of raw) {
    if (path.endsWith('File') && optionKinds[path.slice(0, -4)]?.kind === 'secret') {
      const target = path.slice(0, -4);
      try {
        const text = readFileSync(resolve(cwd, String(value)), 'utf8').trim();
        if (!text) problems.push(`${target}: the file ${value} (from ${source}) is empty`);
        else setPath(config, target, text);
      } catch (err) {
        problems.push(`${target}: cannot read ${value} (from ${source}): ${(err as Error).message}`);
      }
      continue;
    }
    const spec = optionKinds[path];
    if (!spec) {
      problems.push(
        `unknown option "${path}" in ${source}; known options: ${Object.keys(optionKinds).join(', ')}`,
      );
      continue;
    }
    const parsed = parseValue(path, spec, value);
    if (typeof parsed === 'object' && parsed !== null && 'problem' in parsed) {
      problems.push(`${path} (from ${source}) = ${JSON.stringify(value)}: ${parsed.problem}`);
    } else {
      setPath(config, path, parsed);
    }
  }
  const result = config as unknown as CollectorConfig;
  if (problems.length === 0 && !result.telegram.token) {
    result.notify.recipients.forEach((r, i) => {
      if (r.channel === 'telegram')
        problems.push(
          `notify.recipients[${i}] is a Telegram chat but no bot is configured; set ${CHANNEL_SETTING.telegram}`,
        );
    });
  }
  if (problems.length === 0) resolveMetricsConfig(result, cwd, problems);
  problems.push(...crossCheck(result));
  if (problems.length > 0) {
    throw new PantauError('INVALID_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const tls = config.tls as CollectorConfig['tls'];
  if ((tls.cert === null) !== (tls.key === null)) {
    throw new PantauError(
      'INVALID_CONFIG',
      `invalid configuration:\n  - tls.cert and tls.key go together: set both (PANTAU_TLS_CERT, PANTAU_TLS_KEY) or neither`,
    );
  }
  if (result.tls.cert) result.tls.cert = resolve(cwd, result.tls.cert);
  if (result.tls.key) result.tls.key = resolve(cwd, result.tls.key);
  if (result.install.dir) result.install.dir = resolve(cwd, result.install.dir);
  if (result.install.caFile) result.install.caFile = resolve(cwd, result.install.caFile);
  if (!isAbsolute(result.dataDir)) result.dataDir = resolve(cwd, result.dataDir);
  return deepFreeze(result);
}

/** Turns the metrics section's raw endpoints into resolved ones, reading their secret and CA files. */
function resolveMetricsConfig(config: CollectorConfig, cwd: string, problems: string[]): void {
  const m = config.metrics as unknown as { remoteWrite: RemoteWriteInput; query: QueryInput | null };
  const before = problems.length;
  config.metrics.remoteWrite = resolveRemoteWrite(m.remoteWrite, cwd, problems);
  config.metrics.query = m.query === null ? null : resolveQuery(m.query, cwd, problems);
  if (config.metrics.store !== 'remote' || problems.length > before) return;
  if (config.metrics.remoteWrite.length === 0)
    problems.push(
      'metrics.store is remote but metrics.remoteWrite lists no endpoint: add the database that should hold the samples',
    );
  if (config.metrics.query === null)
    problems.push(
      'metrics.store is remote but metrics.query is not set: give the base URL of its Prometheus query API (e.g. http://victoria:8428)',
    );
}

/** Rules that tie options together. */
function crossCheck(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const t = config.telegram;
  if (t.token !== null && t.mode === 'webhook') {
    if (t.webhookSecret === null) {
      problems.push(
        'telegram.mode is webhook but telegram.webhookSecret is not set: set it (16-256 of A-Z a-z 0-9 _ -) so forged updates are refused',
      );
    } else if (!/^[A-Za-z0-9_-]{16,256}$/.test(t.webhookSecret)) {
      problems.push(
        'telegram.webhookSecret may hold only A-Z a-z 0-9 _ - (16-256 characters), as Telegram requires',
      );
    }
    if (config.publicUrl === null) {
      problems.push(
        'telegram.mode is webhook but publicUrl is not set: set the https:// URL Telegram can reach',
      );
    }
  }
  return problems;
}

function flatten(
  obj: Record<string, unknown>,
  prefix: string,
  out: Map<string, { value: unknown; source: string }>,
  source: string,
  problems: string[],
): void {
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const isSection = Object.keys(optionKinds).some((p) => p.startsWith(`${path}.`));
    if (isSection) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${path} in ${source} must be a mapping of options`);
      } else {
        flatten(value as Record<string, unknown>, path, out, source, problems);
      }
    } else {
      out.set(path, { value, source });
    }
  }
}

function parseValue(path: string, spec: OptionSpec, value: unknown): unknown | { problem: string } {
  const bounds = (n: number, show: (n: number) => string) => {
    if (spec.min !== undefined && n < spec.min) return { problem: `must be at least ${show(spec.min)}` };
    if (spec.max !== undefined && n > spec.max) return { problem: `must be at most ${show(spec.max)}` };
    return n;
  };
  switch (spec.kind) {
    case 'choice':
      return spec.choices?.includes(String(value))
        ? String(value)
        : { problem: `must be one of ${spec.choices?.join(', ')}` };
    case 'path':
      return typeof value === 'string' && /^\/[A-Za-z0-9/_.-]{0,200}$/.test(value)
        ? value
        : { problem: 'must be a URL path such as /telegram/webhook (letters, digits, / _ . -)' };
    case 'zone':
      try {
        return new Intl.DateTimeFormat('en', { timeZone: String(value) }).resolvedOptions().timeZone;
      } catch {
        return { problem: 'must be an IANA time zone such as Europe/Berlin or UTC' };
      }
    case 'string':
      return typeof value === 'string' && value.trim() !== ''
        ? value
        : { problem: 'must be a non-empty string' };
    case 'secret':
      return typeof value === 'string' && value.length >= 16
        ? value
        : {
            problem: `must be a string of at least 16 characters (or set ${path}File / ${envName(path)}_FILE)`,
          };
    case 'url': {
      if (value === null) return null;
      try {
        const url = new URL(String(value));
        if (!/^https?:$/.test(url.protocol)) return { problem: 'must be an http:// or https:// URL' };
        return url.toString().replace(/\/$/, '');
      } catch {
        return { problem: 'must be a URL such as https://pantau.example.com' };
      }
    }
    case 'proxies': {
      const list = (Array.isArray(value) ? value.map(String) : String(value).split(','))
        .map((p) => p.trim())
        .filter(Boolean);
      const bad = list.find((p) => !isAddressOrRange(p));
      if (list.length === 0 || bad !== undefined)
        return {
          problem: `must list proxy addresses or CIDR ranges such as 127.0.0.1,10.0.0.0/8${bad ? `; ${JSON.stringify(bad)} is neither` : ''}`,
        };
      return list.join(',');
    }
    case 'level':
      return LEVELS.includes(String(value))
        ? String(value)
        : { problem: `must be one of ${LEVELS.join(', ')}` };
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      return { problem: 'must be true or false' };
    case 'port': {
      const n = Number(value);
      return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : { problem: 'must be a port number 0-65535' };
    }
    case 'int': {
      const n = Number(value);
      if (!Number.isSafeInteger(n)) return { problem: 'must be an integer' };
      return bounds(n, String);
    }
    case 'duration': {
      try {
        return bounds(parseDuration(typeof value === 'number' ? value : String(value)), formatDuration);
      } catch (err) {
        return { problem: (err as Error).message };
      }
    }
    case 'schema': {
      let parsed = value;
      if (typeof value === 'string') {
        try {
          parsed = JSON.parse(value);
        } catch {
          return { problem: 'must be JSON when given in an environment variable' };
        }
      }
      const problem = explain(spec.schema!, parsed);
      if (problem !== null) return { problem: problem.replace(/^frame/, 'the value') };
      try {
        return spec.resolve ? spec.resolve(parsed as never) : parsed;
      } catch (err) {
        return { problem: (err as Error).message };
      }
    }
    default:
      return { problem: `unsupported option kind ${spec.kind}` };
  }
}

/** An IPv4 or IPv6 address, optionally with a /prefix. */
function isAddressOrRange(text: string): boolean {
  const [address, prefix, extra] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const n = Number(prefix);
  return /^\d+$/.test(prefix) && n <= (family === 4 ? 32 : 128);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) cur = cur[part] as Record<string, unknown>;
  cur[parts.at(-1)!] = value;
}
