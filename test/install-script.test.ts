// agent.sh as a sysadmin runs it: downloaded from the collector, it fetches the single
// executable, checks its SHA-256 and lays out a working install under --root; --uninstall removes it.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBuild } from './support/agent-build.ts';
import { AgentProcess } from './support/agent-process.ts';
import { Api } from './support/e2e.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
const dir = mkdtempSync(join(tmpdir(), 'pantau-agent-sh-'));
let collector: TestApp;
let api: Api;
let script: string;
/** The executable the collector serves. */
let built: string;

/** Asynchronous: the collector serving the downloads runs in this process. */
function sh(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      [script, ...args],
      { env: { ...clean, ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** A PATH holding only the tools agent.sh needs, plus `extra` (e.g. one SHA-256 tool), as on a minimal host. */
function minimalPath(name: string, extra: string[]): string {
  const bin = join(dir, `path-${name}`);
  mkdirSync(bin, { recursive: true });
  const tools = ['sh', 'id', 'uname', 'mktemp', 'rm', 'curl', 'gzip', 'awk', 'wc', 'cut', 'chmod', 'cat'];
  for (const tool of [...tools, ...extra]) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!found) throw new Error(`${tool} is not installed here`);
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

function hasSystemdAnalyze(): boolean {
  return ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].some((p) => existsSync(p));
}

beforeAll(async () => {
  const agent = await agentBuild();
  built = agent.executable!;
  collector = await startTestApp({ install: { dir: dirname(agent.bundle) } });
  api = new Api(collector.url, collector.adminToken);
  const res = await fetch(`${collector.url}/install/agent.sh`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/x-shellscript/);
  script = join(dir, 'agent.sh');
  writeFileSync(script, await res.text());
}, 180_000);
afterAll(async () => {
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent.sh', () => {
  it('is POSIX sh that knows this collector', () => {
    const text = readFileSync(script, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`AGENT_URL='${collector.wsUrl}'`);
    expect(text).toMatch(/SHA256_X64='[0-9a-f]{64}'/);
  });

  it('--root DIR lays out a working install: binary, unit, config, 0600 token; idempotent', async () => {
    const { id, token } = collector.addHost('from-agent-sh');
    const root = join(dir, 'root');
    const r = await sh(['--token', token, '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pantau-agent installed under /);
    // The transfer is the gzip build, a third of the executable's size, and says so.
    const bin = join(root, 'usr/local/bin/pantau-agent');
    const size = statSync(bin).size;
    const gz = statSync(`${built}.gz`).size;
    expect(gz).toBeLessThan(size / 2);
    expect(r.stdout).toContain(
      `: ${(gz / 1e6).toFixed(1)} MB gzip-compressed, ${(size / 1e6).toFixed(1)} MB unpacked`,
    );
    expect(r.stdout).toContain(`received ${(gz / 1e6).toFixed(1)} MB`);
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    const tokenFile = join(root, 'etc/pantau/agent.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8')).toBe(`${token}\n`);
    const config = readFileSync(join(root, 'etc/pantau/agent.yaml'), 'utf8');
    expect(config).toContain(collector.wsUrl);
    expect(config).not.toContain(token);
    const unit = readFileSync(join(root, 'etc/systemd/system/pantau-agent.service'), 'utf8');
    expect(unit).toMatch(
      /^ExecStart=\/usr\/local\/bin\/pantau-agent run --config \/etc\/pantau\/agent\.yaml$/m,
    );
    // Nothing was started.
    expect(r.stdout).toMatch(/skip systemctl enable/);

    // Working: the installed binary with the installed config comes online (token path moved under root).
    const agent = new AgentProcess(
      config,
      { PANTAU_TOKEN_FILE: tokenFile, PANTAU_INTERVAL: '1s' },
      ['run'],
      [bin],
    );
    try {
      await until(
        'the agent installed by agent.sh online',
        async () => (await api.host(id)).status === 'online',
      );
    } finally {
      expect(await agent.stop()).toBe(0);
    }

    // Again: same layout, config kept.
    const again = await sh(['--token', token, '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/keep .*agent\.yaml/);
  }, 120_000);

  it.skipIf(!hasSystemdAnalyze())(
    'the unit it writes passes systemd-analyze verify',
    async () => {
      const root = join(dir, 'verify');
      expect((await sh(['--token', 'pag_verify', '--root', root])).code).toBe(0);
      const units = join(root, 'usr/lib/systemd/system');
      mkdirSync(units, { recursive: true });
      for (const name of readdirSync('/usr/lib/systemd/system')) {
        const from = join('/usr/lib/systemd/system', name);
        if (/\.(target|slice)$/.test(name) && !lstatSync(from).isSymbolicLink())
          copyFileSync(from, join(units, name));
      }
      const verify = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          'systemd-analyze',
          ['verify', `--root=${root}`, join(root, 'etc/systemd/system/pantau-agent.service')],
          (err, _o, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
        ),
      );
      expect(verify.stderr).toBe('');
      expect(verify.code).toBe(0);
    },
    120_000,
  );

  it('--code enrolls, then installs', async () => {
    const made = await api.call<{ code: string; install: string }>('POST', '/enrollments', {
      name: 'enrolled-by-sh',
    });
    expect(made.body.install).toBe(
      `curl -fsSL ${collector.url}/install/agent.sh | sudo sh -s -- --code ${made.body.code}`,
    );
    const root = join(dir, 'enrolled');
    const r = await sh(['--code', made.body.code, '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/enrolled as host enrolled-by-sh/);
    expect(readFileSync(join(root, 'etc/pantau/agent.token'), 'utf8')).toMatch(/^pag_/);
    // A used code fails the whole install and writes nothing.
    const again = await sh(['--code', made.body.code, '--root', join(dir, 'again')]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/used already/);
    expect(existsSync(join(dir, 'again', 'etc'))).toBe(false);
  }, 120_000);

  it('--uninstall removes what it installed', async () => {
    const root = join(dir, 'remove');
    expect((await sh(['--token', 'pag_remove', '--root', root])).code).toBe(0);
    const r = await sh(['--uninstall', '--root', root]);
    expect(r.code).toBe(0);
    for (const path of [
      'usr/local/bin/pantau-agent',
      'etc/systemd/system/pantau-agent.service',
      'etc/pantau',
    ])
      expect(existsSync(join(root, path))).toBe(false);
  }, 120_000);

  it('refuses to install what it cannot check: no sha256sum, shasum or openssl', async () => {
    const root = join(dir, 'unchecked');
    const r = await sh(['--token', 'pag_unchecked', '--root', root], { PATH: minimalPath('none', []) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "agent.sh: cannot check the download's SHA-256: install sha256sum (coreutils), shasum (perl) or openssl\n",
    );
    expect(r.stdout).not.toMatch(/downloading/);
    expect(existsSync(root)).toBe(false);
  });

  it.each([
    ['shasum', ['shasum', 'perl']],
    ['openssl', ['openssl']],
  ])(
    'checks the download with %s when sha256sum is missing, and refuses a wrong sum',
    async (name, tools) => {
      const PATH = minimalPath(name, tools);
      const root = join(dir, `with-${name}`);
      const r = await sh(['--token', `pag_${name}`, '--root', root], { PATH });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(existsSync(join(root, 'usr/local/bin/pantau-agent'))).toBe(true);
      // The same script with another sum baked in stops after the download and installs nothing.
      const wrong = join(dir, `wrong-${name}.sh`);
      writeFileSync(
        wrong,
        readFileSync(script, 'utf8').replace(/SHA256_X64='[0-9a-f]{64}'/, `SHA256_X64='${'0'.repeat(64)}'`),
      );
      const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          '/bin/sh',
          [wrong, '--token', 'pag_x', '--root', join(dir, `wrong-${name}`)],
          { env: { PATH } },
          (err, _o, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }),
        ),
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/does not match its SHA-256 0{64}/);
      expect(existsSync(join(dir, `wrong-${name}`))).toBe(false);
    },
    120_000,
  );

  it('refuses bad options and missing credentials, naming them', async () => {
    const bad = await sh(['--tokn', 'x', '--root', join(dir, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown option --tokn/);
    const none = await sh(['--root', join(dir, 'bad')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give --token TOKEN or --code CODE/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    const missing = await fetch(`${collector.url}/install/pantau-agent-linux-mips`);
    expect(missing.status).toBe(400);
  });
});
