import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Snapshot, validate } from '@pantau/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { transientReason } from '../packages/agent/src/install.ts';
import { agentBuild } from './support/agent-build.ts';
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
      'collector: { urls: [wss://h/agent] }\ninterval: 100ms\n',
      { PANTAU_TOKEN: 't' },
      /interval must be at least 1s/,
    ],
    ['collector.urls', 'token: t\n', {}, /collector\.urls is missing/],
    ['token', 'collector: { urls: [wss://h/agent] }\n', {}, /token is missing/],
    [
      'PANTAU_COLLECTOR_URL',
      '',
      { PANTAU_COLLECTOR_URL: 'https://h', PANTAU_TOKEN: 't' },
      /PANTAU_COLLECTOR_URL.*ws:\/\/ or wss:\/\//,
    ],
    [
      'actions.allow',
      'collector: { urls: [wss://h/agent] }\nactions: { allow: [reboot, format-disk] }\n',
      { PANTAU_TOKEN: 't' },
      /actions\.allow\[1\] names unknown action "format-disk"/,
    ],
    [
      'actions.custom argv',
      'collector: { urls: [wss://h/agent] }\nactions: { custom: [{ name: x, argv: [echo, "a\\0b"] }] }\n',
      { PANTAU_TOKEN: 't' },
      /actions\.custom\[0\]\.argv\[1\] must not contain a NUL character/,
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

  it('once reads another proc root (procRoot / PANTAU_PROC_ROOT, as in a container)', () => {
    const proc = join(dir, 'host-proc');
    mkdirSync(join(proc, 'net'), { recursive: true });
    const data = join(import.meta.dirname, '..', 'packages', 'agent', 'test-data');
    for (const [from, to] of [
      ['meminfo.txt', 'meminfo'],
      ['loadavg.txt', 'loadavg'],
      ['uptime.txt', 'uptime'],
      ['proc-stat-a.txt', 'stat'],
      ['net-dev-a.txt', 'net/dev'],
    ] as const)
      copyFileSync(join(data, from), join(proc, to));
    const r = cli(['once'], { PANTAU_PROC_ROOT: proc });
    expect(r.code).toBe(0);
    const snapshot = JSON.parse(r.stdout) as Snapshot;
    // The fixture's machine (24684092 kB), not this one.
    expect(snapshot.memory.total).toBe(24684092 * 1024);
    expect(snapshot.load).toEqual({ l1: 1.98, l5: 1.05, l15: 0.46 });
  });

  it('install-service --dry-run prints the plan and writes nothing', () => {
    const root = join(dir, 'dry');
    const r = cli(
      [
        'install-service',
        '--url',
        'wss://c.example/agent',
        '--dry-run',
        '--root',
        root,
        '--node',
        '/usr/bin/node',
      ],
      { PANTAU_TOKEN: 'secret' },
    );
    // A checkout that itself sits in a temporary folder (a CI clone) is refused, rightly: there
    // the refusal is what a dry run must show, and the plan is checked from lasting checkouts.
    const checkout = resolve(import.meta.dirname, '..', 'packages', 'agent', 'bin', 'pantau-agent.js');
    if (transientReason(checkout)) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^pantau-agent: the unit would run .* temporary folder/);
      expect(() => statSync(root)).toThrow();
      return;
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would write .*pantau-agent\.service/);
    expect(r.stdout).toMatch(/would run systemctl daemon-reload/);
    expect(r.stdout).toMatch(/would run systemctl enable pantau-agent\.service/);
    expect(r.stdout).toMatch(/would run systemctl restart pantau-agent\.service/);
    expect(r.stdout).not.toContain('secret');
    expect(() => statSync(root)).toThrow();
  });

  it('install-service refuses a unit that would run from a temporary or cache folder', () => {
    const root = join(dir, 'transient');
    for (const node of [
      join(tmpdir(), 'n', 'node'),
      '/home/me/.cache/node24/bin/node',
      '/root/.npm/_npx/1/node',
    ]) {
      const r = cli(['install-service', '--url', 'wss://c.example/agent', '--root', root, '--node', node], {
        PANTAU_TOKEN: 's',
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/the unit would run .*node, which is in a (temporary|cache) folder/);
    }
    expect(() => statSync(root)).toThrow();
  });

  it('the single executable installs itself: binary, unit, config and a 0600 token file', async () => {
    const { executable } = await agentBuild();
    const root = join(dir, 'root');
    const install = (env: Record<string, string>, args: string[] = []) => {
      const r = spawnSync(executable as string, ['install-service', '--root', root, ...args], {
        env: { ...clean, ...env },
        encoding: 'utf8',
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    // run's variables, and nothing else.
    const tokenFile = join(dir, 'given-token');
    writeFileSync(tokenFile, 'secret\n');
    const r = install({
      PANTAU_COLLECTOR_URL: 'wss://c.example/agent',
      PANTAU_TOKEN_FILE: tokenFile,
      PANTAU_INTERVAL: '2s',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const token = join(root, 'etc/pantau/agent.token');
    expect(statSync(token).mode & 0o777).toBe(0o600);
    expect(readFileSync(token, 'utf8')).toBe('secret\n');
    const configPath = join(root, 'etc/pantau/agent.yaml');
    const config = readFileSync(configPath, 'utf8');
    expect(config).not.toContain('secret');
    expect(config).toContain('wss://c.example/agent');
    expect(config).toContain('interval: 2s');
    expect(config).toContain('tokenFile: /etc/pantau/agent.token');
    const unit = readFileSync(join(root, 'etc/systemd/system/pantau-agent.service'), 'utf8');
    expect(unit).toMatch(
      /^ExecStart=\/usr\/local\/bin\/pantau-agent run --config \/etc\/pantau\/agent\.yaml$/m,
    );
    expect(unit).toMatch(/^Restart=always$/m);
    const installed = join(root, 'usr/local/bin/pantau-agent');
    expect(statSync(installed).mode & 0o777).toBe(0o755);
    const version = spawnSync(installed, ['--version'], { encoding: 'utf8', env: { PATH: '' } });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(cli(['check-config', '--config', configPath], { PANTAU_TOKEN: 'x' }).code).toBe(0);

    // Again with a new token: idempotent, the config is kept, the token replaced.
    expect(install({ PANTAU_COLLECTOR_URL: 'wss://other.example/agent', PANTAU_TOKEN: 'second' }).code).toBe(
      0,
    );
    expect(readFileSync(token, 'utf8')).toBe('second\n');
    expect(readFileSync(configPath, 'utf8')).toBe(config);
    // Bad input changes nothing.
    const bad = install({ PANTAU_COLLECTOR_URL: 'ws://c.example/agent', PANTAU_TOKEN: 'third' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ws:\/\/ sends the token/);
    expect(readFileSync(token, 'utf8')).toBe('second\n');
    expect(install({ PANTAU_TOKEN: 'x' }).stderr).toMatch(/needs --url .*PANTAU_COLLECTOR_URL/);
  }, 120_000);

  it.skipIf(!hasSystemdAnalyze())(
    'the installed unit passes systemd-analyze verify',
    async () => {
      const { executable } = await agentBuild();
      const root = join(dir, 'verify');
      const r = spawnSync(
        executable as string,
        ['install-service', '--url', 'wss://c.example/agent', '--root', root],
        {
          env: { ...clean, PANTAU_TOKEN: 's' },
        },
      );
      expect(r.status).toBe(0);
      // The system's own targets and slices (sysinit.target and friends), seen from inside the root.
      const units = join(root, 'usr/lib/systemd/system');
      mkdirSync(units, { recursive: true });
      for (const name of readdirSync('/usr/lib/systemd/system')) {
        const from = join('/usr/lib/systemd/system', name);
        if (/\.(target|slice)$/.test(name) && !lstatSync(from).isSymbolicLink())
          copyFileSync(from, join(units, name));
      }
      const unit = join(root, 'etc/systemd/system/pantau-agent.service');
      const verify = () =>
        spawnSync('systemd-analyze', ['verify', `--root=${root}`, unit], { encoding: 'utf8' });
      const ok = verify();
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      // The check has teeth: without the installed program the same unit fails.
      renameSync(join(root, 'usr/local/bin/pantau-agent'), join(root, 'moved'));
      const broken = verify();
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toMatch(/\/usr\/local\/bin\/pantau-agent is not executable/);
    },
    120_000,
  );
});
