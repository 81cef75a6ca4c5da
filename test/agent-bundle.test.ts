// The shipped forms of the agent: the single-file bundle under Node and the single executable,
// each running `once` and `run` against a real collector.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { Snapshot, validate } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBuild } from './support/agent-build.ts';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { Api, until } from './support/e2e.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));

let built: { bundle: string; executable: string };
let collector: TestApp;

beforeAll(async () => {
  const b = await agentBuild();
  built = { bundle: b.bundle, executable: b.executable as string };
  collector = await startTestApp();
}, 120_000);
afterAll(() => collector?.close());

const forms: Array<[string, () => string[]]> = [
  ['the bundle under Node', () => [process.execPath, built.bundle]],
  ['the single executable', () => [built.executable]],
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
  });

  for (const [name, program] of forms) {
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
      } finally {
        expect(await agent.stop()).toBe(0);
      }
    });
  }
});
