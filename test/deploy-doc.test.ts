// docs/deploy.md's systemd procedure, run as written: every ```sh block of "With systemd", in
// order, then the backup and restore blocks and the arm64 agent's build, in one bash (set -e), as
// root in a private mount namespace whose /etc, /opt, /usr/local and /var/lib are throw-away
// overlays. sudo, systemctl and journalctl are stand-ins (there is no systemd here): `sudo -u`
// switches user, `systemctl enable --now` starts the unit's ExecStart as its User with its
// Environment plus what the page says the test adds, `journalctl` prints what the service wrote.
// Then the collector it left running is checked from outside over HTTPS.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { elfArch } from '../packages/agent/scripts/build.ts';
import { FakeTelegramServer } from './fakes/telegram-server.ts';
import { freePort } from './support/collector-process.ts';
import { shellBlocks } from './support/markdown.ts';
import { httpsCall, makePki } from './support/tls.ts';

const ROOT = join(import.meta.dirname, '..');
const PASSWORD = 'the first admin password';

function why(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (mount namespace, useradd, runuser)';
  for (const tool of ['unshare', 'runuser', 'setsid', 'git', 'npm', 'openssl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
  return probe.status === 0 ? null : `cannot make a mount namespace: ${probe.stderr}`;
}
const skip = why();

const standIns = (h: string) => ({
  sudo: `#!/bin/sh
# sudo's stand-in: the test is root already; -u USER runs the rest as USER, as sudo would.
if [ "$1" = -u ]; then user=$2; shift 2; exec runuser -u "$user" -- "$@"; fi
exec "$@"
`,
  systemctl: `#!/bin/sh
# systemctl's stand-in: enable --now starts the unit's ExecStart as its User with its Environment
# (plus the test's extra variables) and returns once it listens, as systemd reports it active.
set -eu
case "$1" in
  daemon-reload) exit 0 ;;
  enable) [ "$2" = --now ] || exit 0; unit=$3 ;;
  start) unit=$2 ;;
  reload) kill -HUP "$(cat ${h}/$2.pid)"; exit 0 ;;
  stop)
    pid=$(cat ${h}/$2.pid)
    /bin/kill -TERM -- "-$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    exit 0 ;;
  *) echo "systemctl stand-in: $* is not played here" >&2; exit 1 ;;
esac
file=/etc/systemd/system/$unit.service
user=$(sed -n 's/^User=//p' "$file")
envs=$(sed -n 's/^Environment=//p' "$file")
start=$(sed -n 's/^ExecStart=//p' "$file")
log=${h}/$unit.log
listening() { grep -c '"collector listening"' "$log" 2>/dev/null || true; }
before=$(listening)
# shellcheck disable=SC2086
setsid runuser -u "$user" -- env $envs $(cat ${h}/unit-env) $start >>"$log" 2>&1 </dev/null &
echo $! >${h}/$unit.pid
while now=$(listening); [ "\${now:-0}" -le "\${before:-0}" ]; do
  kill -0 $! 2>/dev/null || { echo "$unit exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.2
done
`,
  journalctl: `#!/bin/sh
# journalctl's stand-in: -u UNIT prints what the unit wrote.
[ "$1" = -u ] && exec cat ${h}/$2.log
echo "journalctl stand-in: $* is not played here" >&2; exit 1
`,
});

describe.skipIf(skip !== null)(
  `docs/deploy.md with systemd, run as written${skip ? ` (${skip})` : ''}`,
  () => {
    const h = mkdtempSync(join(tmpdir(), 'pantau-deploy-doc-'));
    let telegram: FakeTelegramServer | undefined;
    afterAll(async () => {
      for (const unit of ['pantau-collector']) {
        try {
          process.kill(-Number(readFileSync(join(h, `${unit}.pid`), 'utf8')), 'SIGKILL');
        } catch {}
      }
      await telegram?.close();
      rmSync(h, { recursive: true, force: true });
    });

    it('installs, configures and starts the collector; the first admin signs in over TLS', async () => {
      const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
      // The procedure, then an online backup, then a restore of it (stop, copy, start), then the
      // agent built for arm64 too.
      const blocks = [
        ...shellBlocks(doc, '### With systemd'),
        ...shellBlocks(doc, '## Backup and restore'),
        ...shellBlocks(doc, '### The one-liner'),
      ];
      expect(blocks.length).toBeGreaterThan(5);
      writeFileSync(join(h, 'deploy.sh'), `set -e -o pipefail\n${blocks.join('\n')}\n`);
      mkdirSync(join(h, 'bin'));
      for (const [name, text] of Object.entries(standIns(h))) {
        writeFileSync(join(h, 'bin', name), text);
        chmodSync(join(h, 'bin', name), 0o755);
      }
      // What certbot would have left: the test CA's certificate, its key readable by root only.
      const pki = makePki(h, 'le');
      telegram = await FakeTelegramServer.start();
      const port = await freePort();
      writeFileSync(join(h, 'unit-env'), `PANTAU_PORT=${port} PANTAU_TELEGRAM_API_ROOT=${telegram.url}\n`);
      // `users passwd` reads the first line of stdin when it is not a terminal.
      writeFileSync(join(h, 'stdin'), `${PASSWORD}\n`);
      const overlays = ['etc', 'opt', 'usr/local', 'var/lib', 'var/backups']
        .map((dir) => {
          const o = join(h, 'overlay', dir.replace('/', '-'));
          return `mkdir -p ${o}/upper ${o}/work && mount -t overlay overlay -o lowerdir=/${dir},upperdir=${o}/upper,workdir=${o}/work /${dir}`;
        })
        .join('\n');
      const namespace = `set -e
${overlays}
mkdir -p /etc/letsencrypt/live/pantau.example.com
install -m 0644 ${pki.cert} /etc/letsencrypt/live/pantau.example.com/fullchain.pem
install -m 0600 ${pki.key} /etc/letsencrypt/live/pantau.example.com/privkey.pem
cd ${ROOT}
exec bash -x ${h}/deploy.sh <${h}/stdin >${h}/deploy.log 2>&1
`;
      const env = {
        // The admin's shell: proxies and CA bundles for the registry stay; what pnpm, vitest and the
        // tests set for themselves does not.
        ...Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !/^(PANTAU_|npm_|VITEST|NODE_OPTIONS$|PNPM_)/i.test(k)),
        ),
        PATH: `${h}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        TELEGRAM_BOT_TOKEN: telegram.token,
      };
      // Its output goes to a file, to follow a run of several minutes (the build) while it lasts.
      const code = await new Promise<number | null>((resolve) =>
        spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', namespace], {
          env,
          stdio: 'inherit',
        }).on('close', resolve),
      );
      const run = { code, out: readFileSync(join(h, 'deploy.log'), 'utf8') };
      expect(run.code, run.out.slice(-6000)).toBe(0);
      expect(run.out).toMatch(/^v24\./m);
      expect(run.out).toMatch(
        /first start: console user admin created; choose its password at https:\/\/pantau\.example\.com\/set-password#ppl_/,
      );
      expect(run.out).toMatch(/^\d+\tadmin\tadmin\tactive\t.*\tpassword$/m);

      // The service it left running: HTTPS with the certificate copied for pantau, the password set
      // from the command line, the bot polling with the token from its file.
      const ca = readFileSync(pki.ca);
      const base = `https://127.0.0.1:${port}`;
      expect((await httpsCall(`${base}/readyz`, ca)).status).toBe(200);
      const login = await httpsCall(`${base}/api/v1/session`, ca, {
        method: 'POST',
        body: { name: 'admin', password: PASSWORD },
      });
      expect(login.status, login.body).toBe(200);
      expect(telegram.calls.some((c) => c.method === 'getMe' || c.method === 'getUpdates')).toBe(true);
      // Two starts (before and after the restore), one first-admin link.
      const log = readFileSync(join(h, 'pantau-collector.log'), 'utf8');
      expect(log.match(/"collector listening"/g)).toHaveLength(2);
      expect(log.match(/first start: console user admin/g)).toHaveLength(1);
      expect(run.out).toMatch(/^backed up \d+ pages to \/var\/backups\/pantau\/pantau-\d{4}-\d\d-\d\d\.db$/m);
      expect(log).not.toMatch(/EACCES|ENOENT/);
      // Both architectures built in /opt/pantau, and served at once by the running collector.
      expect(run.out).toMatch(/^packages\/agent\/dist\/pantau-agent-linux-arm64$/m);
      const arm64 = join(h, 'overlay/opt/upper/pantau/packages/agent/dist/pantau-agent-linux-arm64');
      expect(elfArch(arm64)).toBe('arm64');
      const sum = createHash('sha256').update(readFileSync(arm64)).digest('hex');
      expect((await httpsCall(`${base}/install/agent.sh`, ca)).body).toContain(`SHA256_ARM64='${sum}'`);
    }, 1_200_000);
  },
);

describe.skipIf(spawnSync('sh', ['-c', 'command -v openssl']).status !== 0)(
  "docs/deploy.md's private CA",
  () => {
    it('makes, as written, a collector certificate for pantau.lab that the CA verifies', () => {
      const blocks = shellBlocks(readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8'), '## TLS');
      expect(blocks).toHaveLength(1);
      const dir = mkdtempSync(join(tmpdir(), 'pantau-deploy-ca-'));
      try {
        const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', blocks[0]!], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(run.status, run.stderr).toBe(0);
        const verify = spawnSync('openssl', ['verify', '-CAfile', 'ca.pem', 'collector.pem'], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(verify.stdout.trim()).toBe('collector.pem: OK');
        const san = spawnSync(
          'openssl',
          ['x509', '-in', 'collector.pem', '-noout', '-ext', 'subjectAltName'],
          {
            cwd: dir,
            encoding: 'utf8',
          },
        );
        expect(san.stdout).toContain('DNS:pantau.lab');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
