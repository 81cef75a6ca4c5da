// docs/deploy.md's reverse proxy and enrollment, run as written: the page's nginx block as a
// conf.d file of Debian's nginx, with the certificate where certbot keeps it, in front of a
// collector set up as the page says (127.0.0.1:8080, trustProxy, publicUrl, and install.caFile
// for the private CA that signed the certificate); the page's enrollment `curl` from a machine
// that trusts that CA; then the install command it answers, on a host that trusts nothing, and
// the agent it installs online through nginx (the WebSocket upgrade). All of it as root in a
// private network and mount namespace: pantau.example.com is 127.0.0.1 there, ports 443 and 8080
// are free, and /etc, /run, /usr/local and /var are throw-away overlays. `sudo` is a stand-in
// (the test is root), and agent.sh gets `--root` as there is no systemd: the test starts the
// installed unit's ExecStart itself.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentBuild } from './support/agent-build.ts';
import { COLLECTOR_BIN } from './support/collector-process.ts';
import { codeBlocks, shellBlocks } from './support/markdown.ts';
import { makePki } from './support/tls.ts';
import { until } from './support/until.ts';

const ROOT = join(import.meta.dirname, '..');
const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');

function why(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network and mount namespaces)';
  for (const tool of ['unshare', 'nsenter', 'ip', 'nginx', 'curl', 'openssl', 'gzip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  const probe = spawnSync('unshare', ['-mn', '--propagation', 'private', 'true']);
  return probe.status === 0 ? null : `cannot make namespaces: ${probe.stderr}`;
}
const skip = why();

describe.skipIf(skip !== null)(
  `docs/deploy.md's reverse proxy and enrollment, run as written${skip ? ` (${skip})` : ''}`,
  () => {
    const h = mkdtempSync(join(tmpdir(), 'pantau-deploy-proxy-'));
    afterAll(() => rmSync(h, { recursive: true, force: true }));

    it('nginx in front of the collector; the enrollment curl; its install command brings an agent online', async () => {
      const [nginxBlock] = codeBlocks(doc, '## Behind a reverse proxy', 'nginx');
      const enrollBlocks = shellBlocks(doc, '### Enrollment codes');
      const [tlsInstall] = codeBlocks(doc, '## TLS', 'text');
      expect(nginxBlock).toBeDefined();
      expect(enrollBlocks).toHaveLength(1);
      expect(tlsInstall).toBeDefined();
      writeFileSync(join(h, 'pantau.conf'), `${nginxBlock}\n`);
      writeFileSync(join(h, 'enroll.sh'), `${enrollBlocks[0]}\n`);
      const pki = makePki(h, 'le', 'pantau.example.com');
      const agent = await agentBuild();
      mkdirSync(join(h, 'bin'));
      writeFileSync(
        join(h, 'bin', 'sudo'),
        '#!/bin/sh\n# sudo\'s stand-in: the test is root already.\n[ "$1" = -u ] && shift 2\nexec "$@"\n',
      );
      chmodSync(join(h, 'bin', 'sudo'), 0o755);
      // What the page says beside the nginx block, plus the private CA for install commands.
      writeFileSync(
        join(h, 'collector.yaml'),
        `host: 127.0.0.1
port: 8080
trustProxy: 127.0.0.1
publicUrl: https://pantau.example.com
dataDir: ${h}/data
adminTokenFile: /etc/pantau/admin-token
install:
  dir: ${dirname(agent.bundle)}
  caFile: ${pki.ca}
`,
      );
      const overlays = ['etc', 'run', 'usr/local', 'var']
        .map((dir) => {
          const o = join(h, 'overlay', dir.replace('/', '-'));
          return `mkdir -p ${o}/upper ${o}/work && mount -t overlay overlay -o lowerdir=/${dir},upperdir=${o}/upper,workdir=${o}/work /${dir}`;
        })
        .join('\n');
      const api = `curl -fsS -H "Authorization: Bearer $(cat /etc/pantau/admin-token)" http://127.0.0.1:8080/api/v1`;
      // Sets the namespace up, starts nginx and the collector, then holds the namespace until
      // TERM; each later step runs inside it with nsenter.
      const setup = `set -e -o pipefail
pids=
trap 'kill $pids 2>/dev/null; wait' EXIT
trap 'exit 0' TERM
${overlays}
ip link set lo up
echo '127.0.0.1 pantau.example.com' >>/etc/hosts
# certbot's files, as the nginx block names them
mkdir -p /etc/letsencrypt/live/pantau.example.com
install -m 0644 ${pki.cert} /etc/letsencrypt/live/pantau.example.com/fullchain.pem
install -m 0600 ${pki.key} /etc/letsencrypt/live/pantau.example.com/privkey.pem
install -d -m 0750 /etc/pantau
openssl rand -hex 32 >/etc/pantau/admin-token
cp ${h}/pantau.conf /etc/nginx/conf.d/pantau.conf
nginx -t 2>&1
nginx -g 'daemon off;' & pids="$pids $!"
PANTAU_CONFIG=${h}/collector.yaml ${process.execPath} ${COLLECTOR_BIN} start >${h}/collector.log 2>&1 & pids="$pids $!"
# The admin's machine trusts the private CA (as update-ca-certificates would arrange).
cp /etc/ssl/certs/ca-certificates.crt ${h}/system-bundle.crt
cat ${pki.ca} >>/etc/ssl/certs/ca-certificates.crt
echo 'namespace ready'
wait
`;
      const enroll = `set -e -o pipefail
bash -e -o pipefail ${h}/enroll.sh >${h}/enroll.json
curl -fsS -X POST -H "Authorization: Bearer $(cat /etc/pantau/admin-token)" -H 'content-type: application/json' \\
  -d '{"name":"by-token"}' https://pantau.example.com/api/v1/hosts >${h}/host.json
# The new host trusts nothing but what the install command carries.
cp ${h}/system-bundle.crt /etc/ssl/certs/ca-certificates.crt
mkdir -p ${h}/host && cd ${h}/host
install=$(${process.execPath} -p 'JSON.parse(require("fs").readFileSync("${h}/enroll.json", "utf8")).install')
sh -c "$install --root ${h}/host/root" >${h}/install.log 2>&1
# As installed: the laid-out files in place.
cp -a ${h}/host/root/. /
`;
      writeFileSync(join(h, 'ns.sh'), setup);
      const env = {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !/^(PANTAU_|npm_|VITEST|NODE_OPTIONS$|PNPM_)/i.test(k)),
        ),
        PATH: `${h}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      };
      let out = '';
      const holder = spawn('unshare', ['-mn', '--propagation', 'private', 'bash', join(h, 'ns.sh')], { env });
      const held = new Promise((resolve) => holder.on('close', resolve));
      for (const stream of [holder.stdout, holder.stderr])
        stream.on('data', (d: Buffer) => {
          out += d;
        });
      const inside = (argv: string[]) =>
        spawnSync('nsenter', ['-t', String(holder.pid), '-m', '-n', ...argv], { env, encoding: 'utf8' });
      const file = (name: string) => {
        try {
          return readFileSync(join(h, name), 'utf8');
        } catch {
          return '';
        }
      };
      const context = () =>
        [out, file('collector.log').slice(-3000), file('install.log'), file('agent.log').slice(-2000)].join(
          '\n---\n',
        );
      let agentProcess: ReturnType<typeof spawn> | undefined;
      try {
        const setUp = await until('the namespace set up', () =>
          holder.exitCode !== null ? 'exited' : out.includes('namespace ready') && 'ready',
        );
        expect(setUp, context()).toBe('ready');
        expect(out).toMatch(/nginx: configuration file \/etc\/nginx\/nginx\.conf test is successful/);
        await until(
          () => `the collector ready through nginx\n${context()}`,
          () => inside(['curl', '-fsS', '-o', '/dev/null', 'https://pantau.example.com/readyz']).status === 0,
          60_000,
          100,
        );
        const enrolled = inside(['bash', '-c', enroll]);
        expect(enrolled.status, `${enrolled.stdout}${enrolled.stderr}\n${context()}`).toBe(0);
        // The installed unit's ExecStart, started as systemd would.
        const unit = readFileSync(join(h, 'host/root/etc/systemd/system/pantau-agent.service'), 'utf8');
        const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1];
        expect(execStart).toBeDefined();
        agentProcess = spawn(
          'nsenter',
          ['-t', String(holder.pid), '-m', '-n', 'bash', '-c', `exec ${execStart} >${h}/agent.log 2>&1`],
          { env },
        );
        await until(
          () => `web-3 online\n${context()}`,
          () => {
            const hosts = inside(['bash', '-c', `${api}/hosts`]);
            if (hosts.status !== 0) return false;
            const body = JSON.parse(hosts.stdout) as { items: { name: string; status: string }[] };
            return body.items.some((x) => x.name === 'web-3' && x.status === 'online');
          },
          60_000,
          100,
        );
      } finally {
        agentProcess?.kill();
        holder.kill('SIGTERM');
        await held;
      }

      // The enrollment's answer as the page shows it, the CA carried as the TLS section shows.
      const enrolled = JSON.parse(file('enroll.json')) as { code: string; install: string };
      expect(enrolled.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      expect(enrolled.install).toMatch(
        /^echo [A-Za-z0-9+/=]+ \| base64 -d > pantau-ca\.pem && curl -fsSL --cacert pantau-ca\.pem https:\/\/pantau\.example\.com\/install\/agent\.sh \| sudo sh -s -- --code (\S+) --ca-file pantau-ca\.pem$/,
      );
      expect(enrolled.install).toContain(`--code ${enrolled.code} `);
      // The TLS section's example (… elided, for the host pantau.lab) is what a host gets.
      const shown = tlsInstall!
        .replace(/\\\n\s*/g, '')
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('…', '\\S*')
        .replace('pantau\\.lab', 'pantau\\.example\\.com');
      expect((JSON.parse(file('host.json')) as { install: string }).install).toMatch(
        new RegExp(`^${shown}$`),
      );

      // Installed with the CA it carried, enrolled by its code, online through nginx.
      expect(readFileSync(join(h, 'host/root/etc/pantau/ca.pem'), 'utf8')).toBe(readFileSync(pki.ca, 'utf8'));
      expect(file('host/root/etc/pantau/agent.yaml')).toContain('wss://pantau.example.com/agent');
      // All of it through nginx: the admin's calls, agent.sh's download and enrollment. (The agent's
      // wss://pantau.example.com is port 443 here, where only nginx listens; its WebSocket is logged
      // when it closes.)
      const access = file('overlay/var/upper/log/nginx/access.log');
      for (const line of [
        /"POST \/api\/v1\/enrollments HTTP\/1\.1" 201/,
        /"GET \/install\/agent\.sh HTTP\/1\.1" 200/,
        /"GET \/install\/pantau-agent-linux-x64\.gz HTTP\/1\.1" 200/,
        /"POST \/api\/v1\/enroll HTTP\/1\.1" 201/,
      ])
        expect(access).toMatch(line);
    }, 300_000);
  },
);
