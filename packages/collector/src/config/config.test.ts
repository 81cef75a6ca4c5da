import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults, optionKinds } from './defaults.ts';
import { envName, loadConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantau-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('loadConfig', () => {
  it('defaults everything, resolves the data dir and freezes the result', () => {
    const config = loadConfig({ env: {}, cwd: '/srv' });
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('/srv/data');
    expect(config.retention).toEqual(defaults.retention);
    expect(Object.isFrozen(config.gateway)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow();
  });

  it('layers YAML, then PANTAU_* env, then overrides; durations take units', () => {
    const path = file('a.yaml', 'port: 9000\nstore:\n  flushInterval: 200ms\nretention:\n  raw: 24h\n');
    const config = loadConfig({
      file: path,
      env: { PANTAU_PORT: '9100', PANTAU_RETENTION_MINUTE: '7d', PANTAU_API_METRICS_PUBLIC: 'true' },
      overrides: { logLevel: 'warn' },
    });
    expect(config).toMatchObject({ port: 9100, logLevel: 'warn', api: { metricsPublic: true } });
    expect(config.store.flushInterval).toBe(200);
    expect(config.retention).toMatchObject({ raw: 86_400_000, minute: 7 * 86_400_000 });
  });

  it('reads secrets from *_FILE', () => {
    const secret = file('token', 'a-very-long-admin-token-1234\n');
    expect(loadConfig({ env: { PANTAU_ADMIN_TOKEN_FILE: secret } }).adminToken).toBe(
      'a-very-long-admin-token-1234',
    );
    const yaml = file('b.yaml', `adminTokenFile: ${secret}\n`);
    expect(loadConfig({ file: yaml, env: {} }).adminToken).toBe('a-very-long-admin-token-1234');
  });

  it('names every bad option, where it came from and what to write instead', () => {
    const path = file('c.yaml', 'prot: 1\nstore:\n  flushInterval: 1m\n');
    let message = '';
    try {
      loadConfig({ file: path, env: { PANTAU_PORT: 'http', PANTAU_RETENTION_RAW: 'soon' } });
    } catch (err) {
      expect((err as { code: string }).code).toBe('INVALID_CONFIG');
      message = (err as Error).message;
    }
    expect(message).toMatch(/unknown option "prot" in .*c\.yaml; known options: host, port/);
    expect(message).toMatch(/store\.flushInterval \(from .*c\.yaml\) = "1m": must be at most 250ms/);
    expect(message).toMatch(/port \(from PANTAU_PORT\) = "http": must be a port number 0-65535/);
    expect(message).toMatch(/retention\.raw \(from PANTAU_RETENTION_RAW\) = "soon": invalid duration/);
  });

  it('reads TLS files and trusted proxies, and refuses half a TLS pair or a bad proxy', () => {
    const config = loadConfig({
      env: {
        PANTAU_TLS_CERT: 'tls/cert.pem',
        PANTAU_TLS_KEY: '/etc/k.pem',
        PANTAU_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1',
      },
      cwd: '/srv',
    });
    expect(config.tls).toEqual({ cert: '/srv/tls/cert.pem', key: '/etc/k.pem' });
    expect(config.trustProxy).toBe('127.0.0.1,10.0.0.0/8,::1');
    expect(loadConfig({ env: {} })).toMatchObject({ tls: { cert: null, key: null }, trustProxy: null });
    expect(() => loadConfig({ env: { PANTAU_TLS_CERT: '/c.pem' } })).toThrow(
      /tls\.cert and tls\.key go together/,
    );
    for (const bad of ['everyone', '10.0.0.0/33', '1.2.3.4/8/9', ','])
      expect(() => loadConfig({ env: { PANTAU_TRUST_PROXY: bad } })).toThrow(
        /trustProxy \(from PANTAU_TRUST_PROXY\).*must list proxy addresses or CIDR ranges/,
      );
  });

  it('has one idiom: every option is a row of the table with its default in `defaults`', () => {
    const valueAt = (path: string) =>
      path.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], defaults);
    const missing = Object.keys(optionKinds).filter((path) => valueAt(path) === undefined);
    expect(missing).toEqual([]);
    // A section with structure (lists, per-rule maps) is one `schema` row: its area's schema and resolver.
    expect(optionKinds.monitor?.kind).toBe('schema');
    expect(optionKinds['notify.recipients']?.kind).toBe('schema');
  });

  it('maps option paths to env names', () => {
    expect(envName('gateway.maxPayload')).toBe('PANTAU_GATEWAY_MAX_PAYLOAD');
    expect(envName('dataDir')).toBe('PANTAU_DATA_DIR');
  });
});
