import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantau-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(yaml: string, env: Record<string, string> = {}, requireCollector = true) {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ file, env, requireCollector });
}

const base = 'collector:\n  urls: [ws://127.0.0.1:1/agent]\ntoken: abc\n';

function error(yaml: string, env: Record<string, string> = {}): ConfigError {
  try {
    load(yaml, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills every default and freezes the result', () => {
    const c = load(base);
    expect(c).toMatchObject({
      intervalMs: 5_000,
      outboxMax: 720,
      outboxMaxIsDefault: true,
      cadences: {
        processes: 15_000,
        ports: 30_000,
        disks: 30_000,
        system: 3_600_000,
        checks: 10_000,
        containers: 15_000,
      },
      collector: {
        urls: ['ws://127.0.0.1:1/agent'],
        pingIntervalMs: 5_000,
        minDelayMs: 1_000,
        maxDelayMs: 60_000,
      },
      actions: {
        allow: ['ping', 'uptime', 'disk-usage', 'service-status'],
        maxConcurrent: 2,
        outputCapBytes: 1_048_576,
        offlineCapBytes: 1_048_576,
        offlineFrames: 1_000,
        timeoutMs: 300_000,
      },
      dockerSocket: '/var/run/docker.sock',
      logLevel: 'info',
      checks: [],
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.actions.allow)).toBe(true);
  });

  it('lets env override the file', () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'from-file\n');
    const c = load(base, {
      PANTAU_COLLECTOR_URL: 'wss://a.example/agent, wss://b.example',
      PANTAU_TOKEN_FILE: tokenFile,
      PANTAU_INTERVAL: '1s',
      PANTAU_LOG_LEVEL: 'debug',
    });
    expect(c.collector.urls).toEqual(['wss://a.example/agent', 'wss://b.example/agent']);
    expect(c.token).toBe('from-file');
    expect(c.intervalMs).toBe(1_000);
    expect(c.outboxMax).toBe(3_600);
    expect(c.logLevel).toBe('debug');
    expect(load(base, { PANTAU_TOKEN: 'env-token' }).token).toBe('env-token');
  });

  it('reads checks and custom actions', () => {
    const c = load(`${base}
checks:
  - { name: backend-a, type: tcp, host: 127.0.0.1, port: 8080 }
  - { name: lb, type: http, url: "http://127.0.0.1/", expectStatus: 204, bodyMatch: "^ok", timeout: 2s }
actions:
  allow: [ping, restart-app]
  custom:
    - name: restart-app
      argv: [systemctl, restart, "{{unit}}"]
      params:
        unit: { type: enum, values: [app-a, app-b] }
      dangerous: true
      timeout: 1m
`);
    expect(c.checks[1]).toMatchObject({ name: 'lb', type: 'http', expectStatus: 204, timeoutMs: 2_000 });
    expect(c.actions.custom[0]).toMatchObject({
      name: 'restart-app',
      argv: ['systemctl', 'restart', '{{unit}}'],
      params: [{ name: 'unit', kind: 'enum', values: ['app-a', 'app-b'] }],
      dangerous: true,
      timeoutMs: 60_000,
    });
    expect(c.actions.allow).toEqual(['ping', 'restart-app']);
  });

  it('needs a collector URL and a token for run, not for once', () => {
    expect(error('token: abc\n').field).toBe('collector.urls');
    expect(error('collector: { urls: [wss://x/agent] }\n').field).toBe('token');
    expect(load('', {}, false).collector.urls).toEqual([]);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['interval: 500ms', 'interval', /at least 1s/],
    ['interval: fast', 'interval', /duration such as "5s"/],
    ['intervall: 5s', 'intervall', /not a known option; expected one of collector, token/],
    ['outbox: { max: 0 }', 'outbox.max', /whole number from 1/],
    ['cadences: { processes: 0s }', 'cadences.processes', /at least 1s/],
    ['collector: { urls: ["http://x/agent"] }', 'collector.urls[0]', /ws:\/\/ or wss:\/\//],
    [
      'collector: { urls: [wss://x/agent], reconnect: { minDelay: 10s, maxDelay: 1s } }',
      'collector.reconnect.maxDelay',
      /below minDelay/,
    ],
    ['checks: [{ name: a, type: smtp }]', 'checks[0].type', /one of tcp, http/],
    ['checks: [{ name: a, type: tcp, host: h, port: 70000 }]', 'checks[0].port', /1 to 65535/],
    [
      'checks: [{ name: a, type: tcp, host: h, port: 1, url: "http://x" }]',
      'checks[0].url',
      /not a known option/,
    ],
    ['checks: [{ name: a, type: http, url: "ftp://x" }]', 'checks[0].url', /http:\/\/ or https:\/\//],
    [
      'checks: [{ name: a, type: http, url: "http://x", bodyMatch: "(" }]',
      'checks[0].bodyMatch',
      /regular expression/,
    ],
    [
      'checks: [{ name: a, type: tcp, host: h, port: 1 }, { name: a, type: tcp, host: h, port: 2 }]',
      'checks[1].name',
      /unique/,
    ],
    ['actions: { allow: [rm-rf] }', 'actions.allow[0]', /unknown action "rm-rf"/],
    ['actions: { maxConcurrent: 0 }', 'actions.maxConcurrent', /from 1 to 64/],
    ['actions: { outputCap: lots }', 'actions.outputCap', /size such as/],
    ['actions: { offlineCap: 1KiB }', 'actions.offlineCap', /16KiB|16384/],
    ['actions: { offlineFrames: 2 }', 'actions.offlineFrames', /from 16 to 100000/],
    ['actions: { custom: [{ name: ping, argv: [x] }] }', 'actions.custom[0].name', /built-in action/],
    ['actions: { custom: [{ name: x, argv: [] }] }', 'actions.custom[0].argv', /program and its arguments/],
    [
      'actions: { custom: [{ name: x, argv: [sh, "-c", "echo {{a}}"], params: { a: { type: enum, values: [b] } } }] }',
      'actions.custom[0].argv[2]',
      /whole arguments only/,
    ],
    [
      'actions: { custom: [{ name: x, argv: [echo, "a\\0b"] }] }',
      'actions.custom[0].argv[1]',
      /must not contain a NUL character/,
    ],
    [
      'actions: { custom: [{ name: x, argv: [echo, "{{a}}"] }] }',
      'actions.custom[0].argv[1]',
      /does not define it/,
    ],
    [
      'actions: { custom: [{ name: x, argv: [echo], params: { a: { type: regex, pattern: "(" } } }] }',
      'actions.custom[0].params.a.pattern',
      /cannot be run: .*missing closing \)/,
    ],
    [
      'actions: { custom: [{ name: x, argv: [echo], params: { a: { type: regex, pattern: "(a)\\\\1" } } }] }',
      'actions.custom[0].params.a.pattern',
      /cannot be run: .*RE2 syntax/,
    ],
    [
      'actions: { custom: [{ name: x, argv: [echo], params: { a: { type: integer, min: 5, max: 1 } } }] }',
      'actions.custom[0].params.a.max',
      /below min/,
    ],
    [
      'actions: { custom: [{ name: x, argv: [echo], params: { a: { type: enum, values: [b], default: c } } }] }',
      'actions.custom[0].params.a.default',
      /one of b/,
    ],
    ['log: { level: loud }', 'log.level', /one of fatal, error/],
  ];
  for (const [yaml, field, message] of cases) {
    it(`names ${field} in its error`, () => {
      const err = error(yaml.startsWith('collector:') ? `token: abc\n${yaml}\n` : `${base}${yaml}\n`);
      expect(err.field).toBe(field);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(field);
      expect(err.code).toBe('INVALID_CONFIG');
    });
  }

  it('refuses ws:// to a host that is not loopback unless insecure is set', () => {
    const err = error('token: abc\ncollector: { urls: [wss://a.example/agent, ws://b.example/agent] }\n');
    expect(err.field).toBe('collector.urls');
    expect(err.message).toMatch(
      /ws:\/\/b\.example\/agent: ws:\/\/ sends the token .* collector\.insecure: true/,
    );
    const env = { PANTAU_COLLECTOR_URL: 'ws://10.0.0.5:8080/agent', PANTAU_TOKEN: 't' };
    expect(error('', env).message).toMatch(/PANTAU_COLLECTOR_URL.*10\.0\.0\.5/);
    expect(load('', { ...env, PANTAU_INSECURE: '1' }).collector.insecure).toBe(true);
    expect(error('', { ...env, PANTAU_INSECURE: 'maybe' }).field).toBe('collector.insecure');
    const yaml = 'token: abc\ncollector: { urls: [ws://10.0.0.5/agent], insecure: true }\n';
    expect(load(yaml).collector.urls).toEqual(['ws://10.0.0.5/agent']);
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.3.2.1'])
      expect(load(`token: abc\ncollector: { urls: ["ws://${host}:1/agent"] }\n`).collector.insecure).toBe(
        false,
      );
  });

  it('reads the CA file once and refuses one without a certificate', () => {
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const c = load(`token: abc\ncollector: { urls: [wss://c.example/agent], caFile: ${pem} }\n`);
    expect(c.collector.ca).toContain('BEGIN CERTIFICATE');
    expect(load(base, { PANTAU_CA_FILE: pem }).collector.ca).toContain('BEGIN CERTIFICATE');
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(error(base, { PANTAU_CA_FILE: junk }).message).toMatch(/PANTAU_CA_FILE.*holds no PEM certificate/);
    expect(error(base, { PANTAU_CA_FILE: join(dir, 'none.pem') }).message).toMatch(/cannot be read/);
  });

  it('names the env variable when the bad value came from env', () => {
    const err = error(base, { PANTAU_INTERVAL: '10' });
    expect(err.message).toMatch(/^invalid config \(PANTAU_INTERVAL\): interval must be a duration/);
  });

  it('reports YAML syntax errors and unreadable files', () => {
    expect(error('collector: [\n').message).toMatch(/not valid YAML/);
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {}, requireCollector: false })).toThrow(
      /cannot be read/,
    );
  });

  it('collects every problem of a file into one error, one line each', () => {
    const err = error(
      `${base}interval: 100ms\nbogus: 1\ncadences: { ports: 1ms }\nchecks:\n  - { name: a, type: tcp, host: h, port: 0 }\n  - { name: a, type: tcp, host: h, port: 80 }\n`,
    );
    const lines = err.message.split('\n');
    expect(lines[0]).toMatch(/5 problems/);
    for (const field of ['bogus', 'interval', 'cadences.ports', 'checks[0].port', 'checks[1].name'])
      expect(lines.some((l) => l.includes(`- ${field} `))).toBe(true);
  });
});
