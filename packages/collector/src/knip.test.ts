// knip (unused files, exports and dependencies) over the workspace, configured in knip.jsonc,
// run with the unit tests because `pnpm test` is the gate CI runs.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const COLLECTOR = join(import.meta.dirname, '..');

it('finds no unused file, export or dependency', { timeout: 60_000 }, async () => {
  const knip = join(COLLECTOR, 'node_modules', '.bin', 'knip');
  const run = await promisify(execFile)(knip, ['--directory', join(COLLECTOR, '..', '..'), '--no-progress'], {
    cwd: COLLECTOR,
  }).catch((error: { stdout: string; code: number }) => error);
  expect(run.stdout).toBe('');
});
