// docs/deploy.md's container blocks, run as written on a real engine: the collector's `docker
// build` and `docker run` (port 8080, volume `pantau`, container `pantau`), its login from the
// log, the backup command, then the agent's `docker build` and `docker run` on the host's
// namespaces with the Docker socket. The agent's block gets only what a reader fills in: the
// collector's address and the host's token, and this engine's socket where it is not Docker's
// default. Names and port are the doc's, so the test refuses to run where they are taken.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDocker, docker, engineSocket } from './support/docker.ts';
import { Api } from './support/e2e.ts';
import { section, shellBlocks } from './support/markdown.ts';
import { until } from './support/until.ts';

const ROOT = join(import.meta.dirname, '..');
const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
const URL8080 = 'http://127.0.0.1:8080';

/** Runs a doc block in bash (errexit, pipefail) in the repository; resolves with code and output. */
function bash(script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(
      'bash',
      ['-e', '-o', 'pipefail', '-c', script],
      { cwd: ROOT, timeout: 900_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    ),
  );
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, () => server.close(() => resolve(true)));
  });
}

describeDocker("docs/deploy.md's containers, run as written", () => {
  let api: Api;
  let password = '';

  beforeAll(async () => {
    const taken = [
      ...(await docker(['ps', '-a', '--format', '{{.Names}}']))
        .split('\n')
        .filter((n) => /^pantau(-agent)?$/.test(n)),
      ...(await docker(['volume', 'ls', '--format', '{{.Name}}'])).split('\n').filter((n) => n === 'pantau'),
      ...((await portFree(8080)) ? [] : ['port 8080']),
    ];
    if (taken.length > 0) throw new Error(`the doc's names are in use here, left alone: ${taken.join(', ')}`);
  });
  afterAll(async () => {
    await docker(['rm', '-f', 'pantau', 'pantau-agent']).catch(() => undefined);
    await docker(['volume', 'rm', 'pantau']).catch(() => undefined);
  });

  it('builds and starts the collector; its first admin is in the log once and signs in', async () => {
    const blocks = shellBlocks(doc, '### In a container', 1);
    expect(blocks).toHaveLength(1);
    const run = await bash(blocks[0]!);
    expect(run.code, run.out).toBe(0);
    // The last line's grep: the login, printed once.
    expect(run.out).toMatch(/^pantau:\s+login:\s+admin$/m);
    password = /^pantau:\s+password:\s+(\S+)$/m.exec(run.out)?.[1] ?? '';
    const token = /^pantau:\s+API token:\s+(\S+)$/m.exec(run.out)?.[1] ?? '';
    expect(password).not.toBe('');
    api = new Api(URL8080, token);
    await until('the collector on port 8080', async () => (await fetch(`${URL8080}/readyz`)).ok, 60_000);
    const login = await fetch(`${URL8080}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password }),
    });
    expect(login.status).toBe(200);
  }, 900_000);

  it("backs up with the doc's command while it runs", async () => {
    const backup = /`(docker exec pantau [^`]+db backup [^`]+)`/.exec(section(doc, '## Backup and restore'));
    expect(backup).not.toBeNull();
    const run = await bash(backup![1]!);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/^backed up \d+ pages to \/var\/lib\/pantau\/backup\.db$/m);
  }, 60_000);

  it("the one-liner a new host gets is the doc's", async () => {
    const { status, body } = await api.call<{ install: string }>('POST', '/hosts', { name: 'one-liner' });
    expect(status).toBe(201);
    const [shown] = section(doc, '### The one-liner')
      .match(/```text\n([^\n]+)\n```/)!
      .slice(1);
    const pattern = shown!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('pag_\\.\\.\\.', 'pag_\\S+');
    // The image is run with PANTAU_PUBLIC_URL=https://pantau.example.com, as the doc's is.
    expect(body.install).toMatch(new RegExp(`^${pattern}$`));
  });

  it("builds and starts the agent on the host's namespaces; it reports the host's containers", async () => {
    const blocks = shellBlocks(doc, '### In a container', 2);
    expect(blocks).toHaveLength(1);
    const { id, token } = await api.addHost('docker-host');
    // What a reader fills in: each placeholder must be in the block as the doc writes it.
    const fill: [string, string][] = [
      ['wss://pantau.example.com/agent', 'ws://127.0.0.1:8080/agent'],
      ['pag_...', token],
      ['/var/run/docker.sock', engineSocket()],
    ];
    let block = blocks[0]!;
    for (const [placeholder, value] of fill) {
      expect(block).toContain(placeholder);
      // The socket's path inside the container stays Docker's default, where the agent looks.
      block =
        placeholder === '/var/run/docker.sock'
          ? block.replaceAll(`${placeholder}:`, `${value}:`).replaceAll(`%g ${placeholder}`, `%g ${value}`)
          : block.replaceAll(placeholder, value);
    }
    const run = await bash(block);
    expect(run.code, run.out).toBe(0);
    await until(
      'the containerised agent online',
      async () => {
        const h = await api.host(id);
        return h.status === 'online' && h.lastSeq >= 1;
      },
      60_000,
    );
    const containers = await until(
      "the host's containers",
      async () => {
        const r = await api.call<{ data: { name: string }[] }>('GET', `/hosts/${id}/containers`);
        return r.status === 200 && r.body.data.length > 0 ? r.body.data : undefined;
      },
      60_000,
    );
    expect(containers.map((c) => c.name)).toEqual(expect.arrayContaining(['pantau', 'pantau-agent']));
  }, 900_000);
});
