// .ci/toolchain.sh decides from the machine's Node whether CI brings in its own.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pantau-toolchain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pnpmVersion = /"packageManager":\s*"pnpm@([^"]+)"/.exec(
  readFileSync(join(root, 'package.json'), 'utf8'),
)![1]!;

function fakeBin(path: string, name: string, output: string): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, name), `#!/bin/sh\necho ${output}\n`);
  chmodSync(join(path, name), 0o755);
}

/** Sources the script with a fake system Node and an already cached Node 24 (so nothing downloads). */
function nodeChosen(systemVersion: string): string {
  const base = mkdtempSync(join(dir, 'case-'));
  fakeBin(join(base, 'bin'), 'node', systemVersion);
  fakeBin(join(base, 'bin'), 'pnpm', pnpmVersion);
  fakeBin(join(base, 'cache', 'node24', 'bin'), 'node', 'v24.0.0-cached');
  return execFileSync('bash', ['-c', 'source .ci/toolchain.sh >/dev/null && node --version'], {
    cwd: root,
    env: { PATH: `${join(base, 'bin')}:/usr/bin:/bin`, PANTAU_CACHE: join(base, 'cache'), HOME: base },
    encoding: 'utf8',
  }).trim();
}

describe('.ci/toolchain.sh', () => {
  it.each([
    ['v20.11.1', 'v24.0.0-cached'],
    ['v22.17.0', 'v24.0.0-cached'],
    ['v22.18.0', 'v22.18.0'],
    ['v23.1.0', 'v23.1.0'],
    ['v24.3.0', 'v24.3.0'],
  ])('with Node %s on the machine uses %s (engines asks for >= 22.18)', (system, used) => {
    expect(nodeChosen(system)).toBe(used);
  });
});
