import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDuration } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import { DurationText } from '../monitor/duration-text.ts';

const LABEL_NAME = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const LABEL_RE = new RegExp(LABEL_NAME);

/** How Pantau authenticates to a time-series database and trusts its certificate. */
const Connection = {
  /** Full URL: the remote-write endpoint (`…/api/v1/write`) or the query API base (`http://vm:8428`). */
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  /** File holding a bearer token sent as `Authorization: Bearer …`. Default none. */
  bearerTokenFile: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  /** HTTP basic auth; the password comes from a file. Default none. */
  basicAuth: Type.Optional(
    Type.Object(
      {
        username: Type.String({ minLength: 1, maxLength: 256 }),
        passwordFile: Type.String({ minLength: 1, maxLength: 1024 }),
      },
      { additionalProperties: false },
    ),
  ),
  /** PEM file of the CA that signed the database's certificate (https only). Default: the system's CAs. */
  tlsCa: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  /** Longest wait for one request. Default "10s". */
  timeout: Type.Optional(DurationText),
};

export const RemoteWriteInput = Type.Array(
  Type.Object(
    {
      /** Name in logs and on /metrics (`endpoint` label). Default: the URL's host:port. */
      name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
      ...Connection,
      /** Labels added to every series (a series' own label of the same name wins). Default none. */
      extraLabels: Type.Optional(
        Type.Record(Type.String({ pattern: LABEL_NAME, maxLength: 128 }), Type.String({ maxLength: 1024 })),
      ),
      /** Series names to send, `*` matching any run of characters (`pantau_host_cpu_*`). Default: all. */
      metrics: Type.Optional(
        Type.Array(Type.String({ pattern: '^[a-zA-Z_:*][a-zA-Z0-9_:*]*$', maxLength: 200 }), {
          minItems: 1,
          maxItems: 200,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  { maxItems: 16 },
);
export type RemoteWriteInput = Static<typeof RemoteWriteInput>;

export const QueryInput = Type.Object(Connection, { additionalProperties: false });
export type QueryInput = Static<typeof QueryInput>;

/** A connection after its secrets and CA were read from their files. */
export interface RemoteConnection {
  url: string;
  /** `Authorization` header value, or null. */
  authorization: string | null;
  /** PEM text of the CA, or null for the system's. */
  ca: string | null;
  /** ms */
  timeout: number;
}

export interface RemoteWriteEndpoint extends RemoteConnection {
  name: string;
  extraLabels: Readonly<Record<string, string>>;
  /** Name globs, or null for every series. */
  metrics: readonly string[] | null;
}

/** Checks the URL and reads the files of one connection; pushes a problem for anything wrong. */
function resolveConnection(
  where: string,
  input: QueryInput,
  cwd: string,
  problems: string[],
): RemoteConnection | null {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    problems.push(
      `${where}.url: ${JSON.stringify(input.url)} is not a URL such as http://victoria:8428/api/v1/write`,
    );
    return null;
  }
  if (!/^https?:$/.test(url.protocol)) {
    problems.push(`${where}.url must be an http:// or https:// URL`);
    return null;
  }
  if (url.username || url.password) {
    problems.push(`${where}.url must not carry credentials: use basicAuth with a passwordFile`);
    return null;
  }
  if (input.bearerTokenFile && input.basicAuth) {
    problems.push(`${where}: set bearerTokenFile or basicAuth, not both`);
    return null;
  }
  const read = (what: string, file: string): string | null => {
    try {
      const text = readFileSync(resolve(cwd, file), 'utf8').trim();
      if (text) return text;
      problems.push(`${where}.${what}: the file ${file} is empty`);
    } catch (err) {
      problems.push(`${where}.${what}: cannot read ${file}: ${(err as Error).message}`);
    }
    return null;
  };
  let authorization: string | null = null;
  if (input.bearerTokenFile) {
    const token = read('bearerTokenFile', input.bearerTokenFile);
    if (token === null) return null;
    authorization = `Bearer ${token}`;
  }
  if (input.basicAuth) {
    const password = read('basicAuth.passwordFile', input.basicAuth.passwordFile);
    if (password === null) return null;
    authorization = `Basic ${Buffer.from(`${input.basicAuth.username}:${password}`).toString('base64')}`;
  }
  let ca: string | null = null;
  if (input.tlsCa) {
    if (url.protocol !== 'https:') {
      problems.push(`${where}.tlsCa is set but the URL is not https://`);
      return null;
    }
    ca = read('tlsCa', input.tlsCa);
    if (ca === null) return null;
  }
  const timeout = input.timeout ? parseDuration(input.timeout) : 10_000;
  return { url: url.toString(), authorization, ca, timeout };
}

/** The endpoints with their files read; names made unique. Problems go to `problems`. */
export function resolveRemoteWrite(
  inputs: RemoteWriteInput,
  cwd: string,
  problems: string[],
): RemoteWriteEndpoint[] {
  const seen = new Set<string>();
  const out: RemoteWriteEndpoint[] = [];
  inputs.forEach((input, i) => {
    const where = `metrics.remoteWrite[${i}]`;
    const conn = resolveConnection(where, input, cwd, problems);
    if (!conn) return;
    const name = input.name ?? new URL(conn.url).host;
    if (seen.has(name)) {
      problems.push(`${where}: the name ${name} is used twice; give each endpoint its own name`);
      return;
    }
    seen.add(name);
    const badLabel = Object.keys(input.extraLabels ?? {}).find(
      (k) => !LABEL_RE.test(k) || k.startsWith('__'),
    );
    if (badLabel !== undefined) {
      problems.push(
        `${where}.extraLabels: ${JSON.stringify(badLabel)} is not a label name (letters, digits and _, not starting with a digit or __)`,
      );
      return;
    }
    out.push({
      ...conn,
      name,
      extraLabels: Object.freeze({ ...(input.extraLabels ?? {}) }),
      metrics: input.metrics ? Object.freeze([...input.metrics]) : null,
    });
  });
  return out;
}

export function resolveQuery(input: QueryInput, cwd: string, problems: string[]): RemoteConnection | null {
  return resolveConnection('metrics.query', input, cwd, problems);
}

/** The `metrics` section of the collector's config, resolved (config/ composes it). */
export interface MetricsConfig {
  /**
   * Where metric history lives: `sqlite` (the collector's own file, rollups and retention) or
   * `remote` (only in the database fed by `remoteWrite` and read back through `query`; SQLite keeps
   * hosts, incidents, jobs and people). Default `sqlite`.
   */
  store: 'sqlite' | 'remote';
  /** Remote-write endpoints every stored sample is sent to, in order and without loss. Default none. */
  remoteWrite: readonly RemoteWriteEndpoint[];
  /** The database's Prometheus query API (base URL) charts read from with `store: remote`. Default none. */
  query: RemoteConnection | null;
  queue: {
    /** Most bytes of samples waiting for the slowest endpoint; beyond it the oldest are dropped and counted. Default 1 GiB. */
    maxBytes: number;
    /** Samples older than this are dropped and counted instead of sent, ms. Default 24 h. */
    maxAge: number;
    /** Snapshots per remote-write request. Default 500. */
    batch: number;
    /** Longest wait between retries while an endpoint is down or answers 5xx, 429, 401 or 403, ms. Default 30 s. */
    retryMax: number;
  };
}
