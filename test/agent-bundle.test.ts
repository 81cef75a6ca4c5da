// The shipped forms of the agent: the single-file bundle under Node, the single executable, and
// an installed package's bin (which runs the bundle from dist/), each running `once` and `run`
// against a real collector.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snapshot, validate } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFlags } from '../packages/agent/src/install.ts';
import { agentBuild } from './support/agent-build.ts';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { Api } from './support/e2e.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));

let built: { bundle: string; executable: string; installedBin: string };
let collector: TestApp;
// A space in the path, as in a home folder: the bin must not take a file URL's %20 for a path.
const installed = mkdtempSync(join(tmpdir(), 'pantau installed-'));

beforeAll(async () => {
  const b = await agentBuild();
  // @pantau/agent as npm installs it, as far as its bin is concerned: bin/ and dist/.
  const pkg = join(installed, 'node_modules', '@pantau', 'agent');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(join(pkg, 'dist'));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@pantau/agent', type: 'module' }));
  copyFileSync(
    join(import.meta.dirname, '..', 'packages', 'agent', 'bin', 'pantau-agent.js'),
    join(pkg, 'bin', 'pantau-agent.js'),
  );
  copyFileSync(b.bundle, join(pkg, 'dist', 'pantau-agent.cjs'));
  built = {
    bundle: b.bundle,
    executable: b.executable as string,
    installedBin: join(pkg, 'bin', 'pantau-agent.js'),
  };
  collector = await startTestApp();
}, 120_000);
afterAll(() => {
  rmSync(installed, { recursive: true, force: true });
  return collector?.close();
});

const forms: Array<[string, () => string[]]> = [
  ['the bundle under Node', () => [process.execPath, built.bundle]],
  // What the systemd unit runs: the bundle under the service's memory flags.
  ["the bundle under the unit's flags", () => [process.execPath, ...nodeFlags(false), built.bundle]],
  ['the single executable', () => [built.executable]],
  ["an installed package's bin", () => [process.execPath, built.installedBin]],
];

describe('shipped agent', () => {
  it('the bundle is one file without node_modules, the executable needs no Node', () => {
    expect(statSync(built.bundle).size).toBeLessThan(3_000_000);
    // No require of anything outside Node's built-ins survives bundling.
    const requires = spawnSync(
      process.execPath,
      [
        '-e',
        `const t=require('fs').readFileSync(${JSON.stringify(built.bundle)},'utf8');` +
          `console.log([...t.matchAll(/require\\("([^"]+)"\\)/g)].map(m=>m[1]).filter(n=>!require('module').isBuiltin(n)).join(','))`,
      ],
      { encoding: 'utf8' },
    );
    expect(requires.stdout.trim()).toBe('');
    // No TypeBox either: V8 keeps a script's whole source, and TypeBox was 450 KB of it (4 MB of
    // peak RSS); the agent validates with generated checks and explains with explain.ts.
    const source = readFileSync(built.bundle, 'utf8');
    expect(source).not.toMatch(/CheckContext|schema is false|"~kind"/);
    expect(source.length).toBeLessThan(400_000);
    // The executable runs with an empty PATH: no node to find.
    const r = spawnSync(built.executable, ['--version'], { env: { PATH: '' }, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    // And says nothing else: a SEA code cache (useCodeCache) is rejected under the unit's
    // --no-node-snapshot, which Node reports on every start ("Code cache data rejected").
    expect(r.stderr).toBe('');
  });

  it("an installed package's bin runs the bundle, so no ESM namespace loads Node's lazy parts", () => {
    // An ESM import of node:fs or node:util reads every export, loading fs.promises (streams,
    // readline) and worker_threads: about 4 MB of peak RSS the bundle's require never loads.
    const probe = join(installed, 'probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(process.moduleLoadList)));",
    );
    const r = spawnSync(process.execPath, ['--require', probe, built.installedBin, 'once'], {
      env: clean,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Snapshot).processes?.count).toBeGreaterThan(0);
    const loaded = JSON.parse(r.stderr.slice(r.stderr.lastIndexOf('LOADED ') + 7)) as string[];
    expect(
      loaded.filter((m) => /^NativeModule (internal\/fs\/promises|worker_threads|internal\/worker)$/.test(m)),
    ).toEqual([]);
  });

  for (const [name, program] of forms) {
    it(`${name} checks parameter patterns with the packed RE2 engine`, () => {
      const [cmd, ...args] = program();
      const dir = mkdtempSync(join(tmpdir(), 'pantau-patterns-'));
      const check = (pattern: string) => {
        const file = join(dir, 'agent.yaml');
        writeFileSync(
          file,
          [
            'collector: { urls: [wss://h/agent] }',
            'token: t',
            'actions:',
            '  allow: [say]',
            '  custom:',
            `    - { name: say, argv: [echo, "{{word}}"], params: { word: { type: regex, pattern: ${JSON.stringify(pattern)}, default: hello } } }`,
          ].join('\n'),
        );
        return spawnSync(cmd as string, [...args, 'check-config', '--config', file], {
          env: clean,
          encoding: 'utf8',
          timeout: 30_000,
        });
      };
      try {
        // The default must match: the engine is unpacked and runs.
        expect(check('[a-z]+').status).toBe(0);
        const refused = check('(h)\\1ello');
        expect(refused.status).toBe(2);
        expect(refused.stderr).toMatch(/pattern cannot be run: .*RE2 syntax/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${name} runs once`, () => {
      const [cmd, ...args] = program();
      const r = spawnSync(cmd as string, [...args, 'once'], {
        env: clean,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const snapshot = JSON.parse(r.stdout) as Snapshot;
      expect(validate(Snapshot, snapshot)).toBe(true);
      expect(snapshot.system?.cores).toBeGreaterThan(0);
      expect(snapshot.processes?.count).toBeGreaterThan(0);
    });

    it(`${name} runs against a collector`, async () => {
      const { id, token } = collector.addHost(`shipped-${name.split(' ').pop()}`);
      const config = { ...testConfig([collector.wsUrl]), token };
      const agent = new AgentProcess(config, {}, ['run'], program());
      try {
        const api = new Api(collector.url, collector.adminToken);
        const host = await until('the host online with two stored snapshots', async () => {
          const h = await api.host(id);
          return h.status === 'online' && h.lastSeq >= 2 ? h : undefined;
        });
        expect(host.agentVersion).toMatch(/^\d+\.\d+\.\d+$/);
        expect(Object.keys(host.latest?.metrics ?? {})).toContain('cpu.user');
        // The executable carries the service's memory flags; the other forms get them from the command line.
        const started = agent.logs.find((l) => l.msg === 'agent started') as { nodeFlags?: string[] };
        expect(started.nodeFlags).toEqual(
          program()[0] === built.executable ? nodeFlags(false) : program().slice(1, -1),
        );
      } finally {
        expect(await agent.stop()).toBe(0);
      }
    });
  }
});
