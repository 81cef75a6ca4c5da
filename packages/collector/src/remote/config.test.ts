import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantau-remote-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const load = (yaml: string) => loadConfig({ file: file('c.yaml', yaml), env: {}, cwd: dir });

describe('metrics config', () => {
  it('reads endpoints from YAML: token and password from files, CA, labels, metric globs, queue bounds', () => {
    file('vm.token', 'secret-token\n');
    file('pw', 'hunter2\n');
    file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = load(`
metrics:
  store: remote
  remoteWrite:
    - url: https://vm.example:8428/api/v1/write
      bearerTokenFile: vm.token
      tlsCa: ca.pem
      extraLabels: { site: fra1 }
      metrics: [pantau_host_cpu_*]
    - name: mimir
      url: http://mimir:9009/api/v1/push
      basicAuth: { username: pantau, passwordFile: pw }
      timeout: 30s
  query: { url: 'https://vm.example:8428', bearerTokenFile: vm.token, tlsCa: ca.pem }
  queue: { maxBytes: 104857600, maxAge: 6h, retryMax: 1m }
`);
    const [vm, mimir] = config.metrics.remoteWrite;
    expect(vm).toMatchObject({
      name: 'vm.example:8428',
      authorization: 'Bearer secret-token',
      extraLabels: { site: 'fra1' },
      metrics: ['pantau_host_cpu_*'],
      timeout: 10_000,
    });
    expect(vm!.ca).toContain('BEGIN CERTIFICATE');
    expect(mimir).toMatchObject({
      name: 'mimir',
      authorization: `Basic ${Buffer.from('pantau:hunter2').toString('base64')}`,
      ca: null,
      metrics: null,
      timeout: 30_000,
    });
    expect(config.metrics.query).toMatchObject({
      url: 'https://vm.example:8428/',
      authorization: 'Bearer secret-token',
    });
    expect(config.metrics.queue).toEqual({
      maxBytes: 104_857_600,
      maxAge: 6 * 3_600_000,
      batch: 500,
      retryMax: 60_000,
    });
  });

  it('defaults to SQLite with no endpoints', () => {
    const config = loadConfig({ env: {} });
    expect(config.metrics).toMatchObject({ store: 'sqlite', remoteWrite: [], query: null });
  });

  it.each([
    [
      'metrics:\n  remoteWrite:\n    - url: vm:8428\n',
      'metrics.remoteWrite[0].url must be an http:// or https:// URL',
    ],
    [
      'metrics:\n  remoteWrite:\n    - url: "not a url"\n',
      'is not a URL such as http://victoria:8428/api/v1/write',
    ],
    ['metrics:\n  remoteWrite:\n    - url: http://u:p@vm/api/v1/write\n', 'must not carry credentials'],
    [
      'metrics:\n  remoteWrite:\n    - url: http://vm/w\n      bearerTokenFile: missing.token\n',
      'metrics.remoteWrite[0].bearerTokenFile: cannot read missing.token',
    ],
    [
      'metrics:\n  remoteWrite:\n    - url: http://vm/w\n      bearerTokenFile: t\n      basicAuth: { username: a, passwordFile: t }\n',
      'set bearerTokenFile or basicAuth, not both',
    ],
    [
      'metrics:\n  remoteWrite:\n    - url: http://vm/w\n      tlsCa: ca.pem\n',
      'tlsCa is set but the URL is not https://',
    ],
    [
      'metrics:\n  remoteWrite:\n    - url: http://vm/a\n    - url: http://vm/b\n',
      'the name vm is used twice',
    ],
    [
      'metrics:\n  remoteWrite:\n    - url: http://vm/a\n      extraLabels: { "bad-name": x }\n',
      '"bad-name" is not a label name',
    ],
    ['metrics:\n  remoteWrite:\n    - url: http://vm/a\n      metrics: ["cpu{x}"]\n', 'metrics.remoteWrite'],
    ['metrics:\n  store: remote\n', 'metrics.remoteWrite lists no endpoint'],
    ['metrics:\n  store: remote\n  remoteWrite:\n    - url: http://vm/w\n', 'metrics.query is not set'],
    ['metrics:\n  store: influx\n', 'metrics.store'],
    ['metrics:\n  queue:\n    maxAge: 5s\n', 'metrics.queue.maxAge'],
  ])('refuses %j with a message saying what to change', (yaml, message) => {
    file('t', 'token');
    expect(() => load(yaml)).toThrow(message);
  });
});
