// Enrollment end to end: an admin makes a code through the API, `pantau-agent enroll` exchanges
// it for a token file and a config, and `pantau-agent run` with that config comes online.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBuild } from './support/agent-build.ts';
import { AGENT_BIN, AgentProcess } from './support/agent-process.ts';
import { Api } from './support/e2e.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
const dir = mkdtempSync(join(tmpdir(), 'pantau-enroll-'));
let collector: TestApp;
let admin: Api;

/** Asynchronous: the collector answering it runs in this process. */
function run(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: clean, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

const agentCli = (args: string[]) => run(process.execPath, [AGENT_BIN, ...args]);

async function newCode(body: Record<string, unknown> = {}) {
  const r = await admin.call<{ code: string; install: string; enroll: string; enrollment: { id: number } }>(
    'POST',
    '/enrollments',
    body,
  );
  expect(r.status).toBe(201);
  return r.body;
}

beforeAll(async () => {
  collector = await startTestApp({ enrollment: { failuresPerMinute: 4 } });
  admin = new Api(collector.url, collector.adminToken);
});
afterAll(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('enrollment', () => {
  it('enroll with the single executable prints the command to run next, which installs as printed', async () => {
    const exe = (await agentBuild()).executable!;
    const made = await newCode({ name: 'enrolled-next' });
    const tokenFile = join(dir, 'next', 'agent.token');
    const config = join(dir, 'next', 'agent.yaml');
    const r = await run(exe, [
      'enroll',
      collector.url,
      made.code,
      '--token-file',
      tokenFile,
      '--config',
      config,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const next = `sudo ${exe} install-service --url ${collector.wsUrl} --token-file ${tokenFile}`;
    expect(r.stdout.split('\n').slice(-4)).toEqual([
      'next, install and start the service (program, systemd unit, this token; the config is kept):',
      `  ${next}`,
      `or try it in the foreground first: ${exe} run --config ${config}`,
      '',
    ]);
    // As printed, under --root and without starting anything (no systemd here).
    const root = join(dir, 'next-root');
    const installed = await run('sh', ['-c', `${next.replace(/^sudo /, '')} --root ${root} --no-enable`]);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(readFileSync(join(root, 'etc/pantau/agent.token'), 'utf8')).toBe(readFileSync(tokenFile, 'utf8'));
    expect(statSync(join(root, 'usr/local/bin/pantau-agent')).size).toBe(statSync(exe).size);
  }, 180_000);

  it('an admin makes a code; enroll writes the token (0600) and config; run comes online', async () => {
    const made = await newCode({ labels: { env: 'prod' } });
    expect(made.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(made.install).toBe(
      `curl -fsSL ${collector.url}/install/agent.sh | sudo sh -s -- --code ${made.code}`,
    );
    const tokenFile = join(dir, 'a', 'agent.token');
    const config = join(dir, 'a', 'agent.yaml');
    // Typed by a person: lower case, no dashes.
    const typed = made.code.toLowerCase().replaceAll('-', '');
    const r = await agentCli([
      'enroll',
      collector.url,
      typed,
      '--name',
      'enrolled-1',
      '--token-file',
      tokenFile,
      '--config',
      config,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/enrolled as host enrolled-1 \(id \d+\)/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8')).toMatch(/^pag_\S+\n$/);
    const yaml = readFileSync(config, 'utf8');
    expect(yaml).toContain(collector.wsUrl);
    expect(yaml).toContain(`tokenFile: ${tokenFile}`);

    const hosts = await admin.get<{
      items: Array<{ id: number; name: string; labels: Record<string, string> }>;
    }>('/hosts');
    const host = hosts.items.find((h) => h.name === 'enrolled-1');
    expect(host?.labels).toEqual({ env: 'prod' });

    const agent = new AgentProcess(yaml);
    try {
      await until('the enrolled agent online', async () => (await admin.host(host!.id)).status === 'online');
    } finally {
      await agent.stop();
    }

    // Single use: the same code again is refused and changes nothing.
    const again = await agentCli([
      'enroll',
      collector.url,
      made.code,
      '--name',
      'enrolled-2',
      '--token-file',
      join(dir, 'b', 't'),
      '--config',
      join(dir, 'b', 'c.yaml'),
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /refused the enrollment \(UNAUTHORIZED: enrollment code is not valid: it was used already/,
    );
    expect(() => statSync(join(dir, 'b', 't'))).toThrow();
    const after = await admin.get<{ items: Array<{ name: string }> }>('/hosts');
    expect(after.items.map((h) => h.name)).not.toContain('enrolled-2');

    // Audited: who made the code, and which host used it from where.
    const audit = await admin.get<{
      items: Array<{ action: string; actor: string; target: string; details: Record<string, unknown> }>;
    }>('/audit');
    const create = audit.items.find(
      (e) => e.action === 'enrollment.create' && e.target === `enrollment:${made.enrollment.id}`,
    );
    expect(create?.actor).toBe('config');
    const used = audit.items.find((e) => e.action === 'host.enroll' && e.target === `host:${host!.id}`);
    expect(used?.details).toMatchObject({ name: 'enrolled-1', from: '127.0.0.1', createdBy: 'config' });
    const list = await admin.get<{
      items: Array<{ id: number; status: string; hostId: number | null; usedFrom: string }>;
    }>('/enrollments');
    expect(list.items.find((e) => e.id === made.enrollment.id)).toMatchObject({
      status: 'used',
      hostId: host!.id,
      usedFrom: '127.0.0.1',
    });
  });

  it('a code with a name names the host; a taken name leaves the code unused', async () => {
    const taken = await newCode({ name: 'named-by-admin' });
    const first = await fetch(`${collector.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: taken.code, name: 'ignored' }),
    });
    expect(first.status).toBe(201);
    expect(((await first.json()) as { host: { name: string } }).host.name).toBe('named-by-admin');
    expect((await admin.call('POST', '/enrollments', { name: 'named-by-admin' })).status).toBe(409);

    const open = await newCode();
    const conflict = await fetch(`${collector.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: open.code, name: 'named-by-admin' }),
    });
    expect(conflict.status).toBe(409);
    const retry = await fetch(`${collector.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: open.code, name: 'second-try' }),
    });
    expect(retry.status).toBe(201);
  });

  it('only admins make codes; bad bodies are refused with the field named', async () => {
    const viewer = new Api(collector.url, collector.token('viewer'));
    expect((await viewer.call('POST', '/enrollments', {})).status).toBe(403);
    const ttl = await admin.call<{ error: { message: string } }>('POST', '/enrollments', { ttl: 'soon' });
    expect(ttl.status).toBe(400);
    expect(ttl.body.error.message).toMatch(/ttl/);
    expect((await admin.call('POST', '/enrollments', { ttl: '10s' })).status).toBe(400);
    expect((await admin.call('POST', '/enrollments', { owner: 'me' })).status).toBe(400);
    const hostile = await fetch(`${collector.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'AAAA-BBBB-CCCC', name: '<img src=x onerror=alert(1)>' }),
    });
    expect(hostile.status).toBe(400);
    expect((await agentCli(['enroll', 'http://10.1.2.3:8080', 'CODE'])).stderr).toMatch(
      /plain http:\/\/ .* clear text/,
    );
    expect((await agentCli(['enroll', collector.url])).code).toBe(2);
  });

  it('an admin revokes a pending code: it expires at once, cannot be used, and the audit log says who', async () => {
    const made = await newCode({ name: 'revoked-1' });
    const revoked = await admin.call<{ status: string; expiresAt: number }>(
      'DELETE',
      `/enrollments/${made.enrollment.id}`,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('expired');
    expect(() =>
      collector.app.pantau.fleet.enrollment.redeem({ code: made.code, name: 'x' }, '127.0.0.1'),
    ).toThrow(/it expired/);
    expect(await admin.call('DELETE', `/enrollments/${made.enrollment.id}`)).toEqual({
      status: 409,
      body: {
        error: { code: 'CONFLICT', message: `enrollment code ${made.enrollment.id} is expired already` },
      },
    });
    expect((await admin.call('DELETE', '/enrollments/999999')).status).toBe(404);
    const audit = await admin.get<{ items: Array<{ action: string; target: string }> }>('/audit?limit=20');
    expect(audit.items).toContainEqual(
      expect.objectContaining({ action: 'enrollment.revoke', target: `enrollment:${made.enrollment.id}` }),
    );
  });

  it('expired codes are refused', () => {
    const { enrollment } = collector.app.pantau.fleet;
    const actor = { userId: null, id: 'cli', name: 'cli', role: 'admin', surface: 'cli' } as const;
    const { code } = enrollment.create(actor, { ttl: 60_000 }, Date.now() - 120_000);
    expect(() => enrollment.redeem({ code, name: 'late' }, '127.0.0.1')).toThrow(/it expired/);
    const viewer = { ...actor, role: 'viewer' } as const;
    expect(() => enrollment.create(viewer, {})).toThrow(/hosts\.manage needs the admin role/);
  });

  it('failed attempts are rate-limited per address; a good code waits too', async () => {
    const good = await newCode();
    const attempt = (code: string) =>
      fetch(`${collector.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, name: 'guess' }),
      }).then((r) => r.status);
    // The limit is 4 failures a minute (earlier tests may have used some of them).
    const answers: number[] = [];
    for (let i = 0; i < 5 && answers.at(-1) !== 429; i++) answers.push(await attempt(`WRNG-WRNG-WR${i + 2}`));
    expect(answers.at(-1)).toBe(429);
    expect(answers.slice(0, -1).every((s) => s === 401)).toBe(true);
    expect(await attempt(good.code)).toBe(429);
    const list = await admin.get<{ items: Array<{ id: number; status: string }> }>('/enrollments');
    expect(list.items.find((e) => e.id === good.enrollment.id)?.status).toBe('pending');
  });
});
