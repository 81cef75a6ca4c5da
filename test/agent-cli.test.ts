import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snapshot, validate } from '@pantau/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_BIN } from './support/agent-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantau-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [AGENT_BIN, ...args], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('pantau-agent CLI', () => {
  it('prints its version and help', () => {
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'once', 'check-config', 'install-service'])
      expect(help.stdout).toContain(command);
    expect(cli(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command "frobnicate"/),
    });
  });

  it('once prints one full, valid snapshot as JSON', () => {
    const r = cli(['once']);
    expect(r.code).toBe(0);
    const snapshot = JSON.parse(r.stdout) as Snapshot;
    expect(validate(Snapshot, snapshot)).toBe(true);
    expect(snapshot.system?.cores).toBeGreaterThan(0);
    expect(snapshot.disks?.length).toBeGreaterThan(0);
    expect(snapshot.processes?.count).toBeGreaterThan(0);
    expect(snapshot.containers).toBeUndefined(); // no Docker socket here, and no error about it either
    expect(snapshot.errors ?? []).toEqual([]);
  });

  it('check-config accepts a good config, env included', () => {
    const file = configFile('good.yaml', 'collector:\n  urls: [ws://127.0.0.1:1/agent]\n');
    const r = cli(['check-config', '--config', file], { PANTAU_TOKEN: 't' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^config ok/);
    expect(r.stdout).not.toContain('"t"'); // the token is not printed
  });

  const bad: Array<[string, string, Record<string, string>, RegExp]> = [
    [
      'interval',
      'collector: { urls: [ws://h/agent] }\ninterval: 100ms\n',
      { PANTAU_TOKEN: 't' },
      /interval must be at least 1s/,
    ],
    ['collector.urls', 'token: t\n', {}, /collector\.urls is missing/],
    ['token', 'collector: { urls: [ws://h/agent] }\n', {}, /token is missing/],
    [
      'PANTAU_COLLECTOR_URL',
      '',
      { PANTAU_COLLECTOR_URL: 'https://h', PANTAU_TOKEN: 't' },
      /PANTAU_COLLECTOR_URL.*ws:\/\/ or wss:\/\//,
    ],
    [
      'actions.allow',
      'collector: { urls: [ws://h/agent] }\nactions: { allow: [reboot, format-disk] }\n',
      { PANTAU_TOKEN: 't' },
      /actions\.allow\[1\] names unknown action "format-disk"/,
    ],
  ];
  for (const [field, yaml, env, message] of bad) {
    it(`check-config exits 2 with one line naming ${field}`, () => {
      const r = cli(['check-config', '--config', configFile(`bad-${field}.yaml`, yaml)], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('check-config reports every mistake of a file in one run', () => {
    const yaml = [
      'colector: { urls: [ws://h/agent] }',
      'interval: 100ms',
      'checks:',
      '  - { name: web, type: tcp, host: 127.0.0.1, port: 70000 }',
      '  - { name: api, type: http, url: ftp://x }',
      'log: { level: loud }',
      '',
    ].join('\n');
    const r = cli(['check-config', '--config', configFile('many.yaml', yaml)], { PANTAU_TOKEN: 't' });
    expect(r.code).toBe(2);
    // The misspelt collector key also leaves collector.urls missing: six problems in all.
    for (const field of [
      /colector/,
      /interval/,
      /collector\.urls is missing/,
      /checks\[0\]\.port/,
      /checks\[1\]\.url/,
      /log\.level/,
    ])
      expect(r.stderr).toMatch(field);
    expect(r.stderr).toMatch(/6 problems/);
  });

  it('run refuses a bad config the same way before doing anything', () => {
    const r = cli(['run', '--config', configFile('run-bad.yaml', 'interval: 0s\n')], { PANTAU_TOKEN: 't' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/interval/);
  });

  it('install-service --dry-run prints the plan and writes nothing', () => {
    const root = join(dir, 'dry');
    const r = cli(['install-service', '--url', 'wss://c.example/agent', '--dry-run', '--root', root], {
      PANTAU_TOKEN: 'secret',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would write .*pantau-agent\.service/);
    expect(r.stdout).toMatch(/would run systemctl daemon-reload/);
    expect(r.stdout).toMatch(/would run systemctl enable --now pantau-agent\.service/);
    expect(r.stdout).not.toContain('secret');
    expect(() => statSync(root)).toThrow();
  });

  it('install-service writes unit, config and a 0600 env file holding the token', () => {
    const root = join(dir, 'root');
    const r = cli(
      ['install-service', '--url', 'wss://c.example/agent', '--allow', 'ping,uptime', '--root', root],
      {
        PANTAU_TOKEN: 'secret',
      },
    );
    expect(r.code).toBe(0);
    const env = join(root, 'etc/pantau/agent.env');
    expect(statSync(env).mode & 0o777).toBe(0o600);
    expect(readFileSync(env, 'utf8')).toBe('PANTAU_TOKEN=secret\n');
    const config = readFileSync(join(root, 'etc/pantau/agent.yaml'), 'utf8');
    expect(config).not.toContain('secret');
    expect(
      cli(['check-config', '--config', join(root, 'etc/pantau/agent.yaml')], { PANTAU_TOKEN: 'x' }).code,
    ).toBe(0);
    const unit = readFileSync(join(root, 'etc/systemd/system/pantau-agent.service'), 'utf8');
    expect(unit).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=1 ${AGENT_BIN} run --config /etc/pantau/agent.yaml`,
    );
    // The ExecStart command line really starts the agent.
    const execStart = (/^ExecStart=(.*) run --config .*$/m.exec(unit)?.[1] ?? '').split(' ');
    const started = spawnSync(execStart[0] as string, [...execStart.slice(1), '--version'], {
      encoding: 'utf8',
    });
    expect(started.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(cli(['install-service', '--url', 'http://nope', '--root', root], { PANTAU_TOKEN: 's' }).code).toBe(
      2,
    );
  });

  it.skipIf(!hasSystemdAnalyze())('the installed unit passes systemd-analyze verify', () => {
    const root = join(dir, 'verify');
    expect(
      cli(['install-service', '--url', 'wss://c.example/agent', '--root', root], { PANTAU_TOKEN: 's' }).code,
    ).toBe(0);
    const unit = join(root, 'etc/systemd/system/pantau-agent.service');
    const ok = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // The check has teeth: the same unit with a missing program fails.
    const broken = join(root, 'broken.service');
    writeFileSync(
      broken,
      readFileSync(unit, 'utf8').replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node'),
    );
    expect(spawnSync('systemd-analyze', ['verify', broken]).status).not.toBe(0);
  });
});
