// The Docker engine for the tests that need one: `.ci/docker.sh` starts it in CI and exports
// DOCKER_HOST; elsewhere the machine's engine is used if one answers, else those tests skip
// with the reason. In CI (CI=true) a missing engine is an error, not a skip.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function probe(): string | undefined {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      stdio: 'pipe',
      timeout: 10_000,
    });
    return undefined;
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    const why =
      e.code === 'ENOENT'
        ? 'no docker command'
        : String(e.stderr ?? err)
            .trim()
            .split('\n')[0];
    if (process.env.CI === 'true')
      throw new Error(`CI needs a Docker engine (.ci/docker.sh starts one): ${why}`);
    return `no Docker engine: ${why}`;
  }
}

/** Why the engine tests skip, or undefined when an engine answers. */
export const noEngine = probe();

/** `describe` for tests that need the engine; the title says why when they skip. */
export function describeDocker(title: string, body: () => void): void {
  if (noEngine) describe.skip(`${title} (skipped: ${noEngine})`, body);
  else describe(title, body);
}

/** Runs the docker CLI; resolves with stdout, rejects with stderr in the message. */
export function docker(args: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      args,
      { cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`docker ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

const built = new Map<string, Promise<string>>();

/**
 * Builds one of the project's Dockerfiles as `pantau-<name>:test`, once per test process; the
 * engine's layer cache makes the other test files' builds of the same tree quick.
 */
export function buildImage(name: 'collector' | 'agent'): Promise<string> {
  let image = built.get(name);
  if (!image) {
    const tag = `pantau-${name}:test`;
    image = docker(['build', '-q', '-f', `Dockerfile.${name}`, '-t', tag, '.'], { timeoutMs: 900_000 }).then(
      () => tag,
    );
    built.set(name, image);
  }
  return image;
}

/** Names made by this test process, so parallel test files never touch each other's containers. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A tiny HTTP server in the stand-in Node image, answering `text` on port 8080; stops at once on
 * SIGTERM. Extra `docker run` options go before the image.
 */
export async function httpContainer(name: string, text: string, options: string[] = []): Promise<string> {
  const server = `const s=require('node:http').createServer((q,r)=>r.end(${JSON.stringify(text)})).listen(8080);process.on('SIGTERM',()=>s.close(()=>process.exit(0)))`;
  return (
    await docker(['run', '-d', '--name', name, ...options, 'node:24-bookworm-slim', 'node', '-e', server])
  ).trim();
}

/** Removes containers by name, ignoring those already gone. */
export async function removeContainers(...names: string[]): Promise<void> {
  if (names.length > 0) await docker(['rm', '-f', ...names]).catch(() => undefined);
}

/** The engine's unix socket on this machine (DOCKER_HOST, else Docker's default). */
export function engineSocket(): string {
  const host = process.env.DOCKER_HOST ?? '';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/** The host port Docker published for a container's `port`/tcp. */
export async function publishedPort(container: string, port: number): Promise<number> {
  const out = await docker(['port', container, `${port}/tcp`]);
  const match = /:(\d+)\s*$/m.exec(out.trim().split('\n')[0] ?? '');
  if (!match) throw new Error(`no published port for ${container} ${port}: ${out}`);
  return Number(match[1]);
}

/** A container's health status as Docker's HEALTHCHECK sees it. */
export async function healthOf(container: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{.State.Health.Status}}', container])).trim();
}
