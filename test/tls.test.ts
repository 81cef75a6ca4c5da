// TLS end to end: the collector serves HTTPS and WSS from certificate files signed by a test CA
// made now, an agent trusts that CA through its caFile, and SIGHUP swaps in a renewed certificate.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../packages/collector/src/cli/health.ts';
import { loadConfig } from '../packages/collector/src/config/index.ts';
import { agentBuild } from './support/agent-build.ts';
import { AGENT_BIN, AgentProcess, testConfig } from './support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { hasOpenssl, httpsCall, makePki, type TestPki } from './support/tls.ts';
import { until } from './support/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantau-tls-'));
let pki: TestPki;
let renewed: TestPki;
let collector: CollectorProcess;
const live = { cert: join(dir, 'live-cert.pem'), key: join(dir, 'live-key.pem') };
const agents: AgentProcess[] = [];
/** The single executable the collector serves under /install/. */
let exe: string;

beforeAll(async () => {
  if (!hasOpenssl()) return;
  pki = makePki(dir, 'first');
  renewed = makePki(dir, 'second');
  copyFileSync(pki.cert, live.cert);
  copyFileSync(pki.key, live.key);
  const agent = await agentBuild();
  exe = agent.executable!;
  collector = await startCollectorProcess({
    env: {
      PANTAU_TLS_CERT: live.cert,
      PANTAU_TLS_KEY: live.key,
      PANTAU_INSTALL_CA_FILE: pki.ca,
      PANTAU_INSTALL_DIR: dirname(agent.bundle),
    },
  });
}, 180_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await collector?.stop();
  if (collector) rmSync(collector.dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl())('TLS', () => {
  const base = () => `https://localhost:${collector.port}`;

  it('serves the API over HTTPS with a certificate the test CA signed', async () => {
    expect(collector.output()).toContain(`"url":"https://127.0.0.1:${collector.port}"`);
    const ca = readFileSync(pki.ca);
    const health = await httpsCall(`${base()}/healthz`, ca);
    expect(health.status).toBe(200);
    const hosts = await httpsCall(`${base()}/api/v1/hosts`, ca, { token: collector.adminToken });
    expect(hosts.status).toBe(200);
    // `pantau-collector health` (the image's HEALTHCHECK) asks over HTTPS when tls.cert is set.
    const tlsEnv = { PANTAU_HOST: '127.0.0.1', PANTAU_TLS_CERT: live.cert, PANTAU_TLS_KEY: live.key };
    const ready = await checkHealth(loadConfig({ env: { ...tlsEnv, PANTAU_PORT: String(collector.port) } }));
    expect(ready).toMatchObject({ ok: true });
    expect(ready.line).toMatch(new RegExp(`^ready: https://127.0.0.1:${collector.port}/readyz answered 200`));
    const plain = await checkHealth(
      loadConfig({ env: { PANTAU_HOST: '127.0.0.1', PANTAU_PORT: String(collector.port) } }),
    );
    expect(plain.ok).toBe(false);
    // Without the CA the client refuses the server.
    await expect(httpsCall(`${base()}/healthz`, readFileSync(renewed.ca))).rejects.toThrow(
      /unable to (get local issuer|verify)/,
    );
  });

  it('an agent with the CA file streams over wss://; one without refuses the certificate', async () => {
    const ca = readFileSync(pki.ca);
    const added = await httpsCall(`${base()}/api/v1/hosts`, ca, {
      method: 'POST',
      token: collector.adminToken,
      body: { name: 'tls-agent' },
    });
    expect(added.status).toBe(201);
    const { host, token } = JSON.parse(added.body) as { host: { id: number }; token: string };
    const wss = `wss://localhost:${collector.port}/agent`;
    const good = new AgentProcess({ ...testConfig([wss]), token }, { PANTAU_CA_FILE: pki.ca });
    const bad = new AgentProcess({ ...testConfig([wss]), token });
    agents.push(good, bad);
    await until('the agent over wss:// online with a stored snapshot', async () => {
      const r = await httpsCall(`${base()}/api/v1/hosts/${host.id}`, ca, { token: collector.adminToken });
      const h = JSON.parse(r.body) as { status: string; lastSeq: number };
      return h.status === 'online' && h.lastSeq >= 1;
    });
    const refused = await bad.waitForLog('could not connect');
    expect(String(refused.reason)).toMatch(/unable to (get local issuer|verify the first) certificate/);
    // Node's own hint (--use-system-ca) does not apply to this agent; the way it trusts a CA does.
    expect(String(refused.reason)).not.toMatch(/use-system-ca/);
    expect(String(refused.reason)).toMatch(/give its PEM file with --ca-file FILE or PANTAU_CA_FILE/);
  });

  it('with install.caFile the install command carries the CA and works as shown on a host that trusts nothing', async () => {
    const ca = readFileSync(pki.ca);
    const added = await httpsCall(`${base()}/api/v1/hosts`, ca, {
      method: 'POST',
      token: collector.adminToken,
      body: { name: 'tls-installed' },
    });
    const { host, install } = JSON.parse(added.body) as { host: { id: number }; install: string };
    expect(install).toMatch(
      /^echo [A-Za-z0-9+/=]+ \| base64 -d > pantau-ca\.pem && curl -fsSL --cacert pantau-ca\.pem https:\/\/127\.0\.0\.1:\d+\/install\/agent\.sh \| sudo sh -s -- --token pag_\S+ --ca-file pantau-ca\.pem$/,
    );
    // As shown, in an empty directory, but as root already and laid out under --root (no systemd here).
    const cwd = mkdtempSync(join(dir, 'host-'));
    const root = join(cwd, 'root');
    const ran = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'sh',
        ['-c', `${install.replace('| sudo sh', '| sh')} --root ${root}`],
        { cwd },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      ),
    );
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(readFileSync(join(root, 'etc/pantau/ca.pem'), 'utf8')).toBe(ca.toString());
    const config = readFileSync(join(root, 'etc/pantau/agent.yaml'), 'utf8');
    // The installed program with the installed config (paths moved under --root) comes online over wss://.
    const agent = new AgentProcess(
      config.replace('/etc/pantau/ca.pem', join(root, 'etc/pantau/ca.pem')),
      { PANTAU_TOKEN_FILE: join(root, 'etc/pantau/agent.token'), PANTAU_INTERVAL: '1s' },
      ['run'],
      [join(root, 'usr/local/bin/pantau-agent')],
    );
    agents.push(agent);
    await until('the agent installed with the private CA online', async () => {
      const r = await httpsCall(`${base()}/api/v1/hosts/${host.id}`, ca, { token: collector.adminToken });
      return (JSON.parse(r.body) as { status: string }).status === 'online';
    });
    expect(statSync(join(root, 'usr/local/bin/pantau-agent')).size).toBe(statSync(exe).size);
  }, 120_000);

  it('enroll without the CA says to pass --ca-file; with it, enrolls and names it in the next command', async () => {
    const ca = readFileSync(pki.ca);
    const code = async () => {
      const made = await httpsCall(`${base()}/api/v1/enrollments`, ca, {
        method: 'POST',
        token: collector.adminToken,
        body: {},
      });
      return (JSON.parse(made.body) as { code: string }).code;
    };
    const enroll = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [AGENT_BIN, 'enroll', base(), ...args], (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
        ),
      );
    const files = ['--token-file', join(dir, 'enrolled.token'), '--config', join(dir, 'enrolled.yaml')];
    const refused = await enroll([await code(), '--name', 'tls-enrolled', ...files]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot reach the collector at https:.*--ca-file FILE or PANTAU_CA_FILE/);
    expect(refused.stderr).not.toMatch(/use-system-ca/);
    const ok = await enroll([await code(), '--name', 'tls-enrolled', '--ca-file', pki.ca, ...files]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`--ca-file ${pki.ca}\n`);
  });

  it('SIGHUP serves a renewed certificate; a broken pair is refused and the last good one kept', async () => {
    copyFileSync(renewed.cert, live.cert);
    copyFileSync(renewed.key, live.key);
    collector.child.kill('SIGHUP');
    await until('the renewed certificate served', () =>
      httpsCall(`${base()}/healthz`, readFileSync(renewed.ca)).then(
        (r) => r.status === 200,
        () => false,
      ),
    );
    await expect(httpsCall(`${base()}/healthz`, readFileSync(pki.ca))).rejects.toThrow(
      /unable to (get local issuer|verify the first) certificate/,
    );

    writeFileSync(live.key, readFileSync(pki.key)); // a key that does not match the certificate
    collector.child.kill('SIGHUP');
    await until('the reload failure logged', () => collector.output().includes('TLS reload failed'));
    expect(collector.output()).toMatch(/are not a usable pair/);
    expect((await httpsCall(`${base()}/healthz`, readFileSync(renewed.ca))).status).toBe(200);
  });

  it('refuses to start with a missing certificate file, naming it', async () => {
    await expect(
      startCollectorProcess({
        env: { PANTAU_TLS_CERT: join(dir, 'nope.pem'), PANTAU_TLS_KEY: live.key },
        adminToken: 'x'.repeat(20),
      }),
    ).rejects.toThrow(/tls\.cert: cannot read .*nope\.pem/);
  });
});
