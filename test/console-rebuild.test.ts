// A console rebuilt next to a running collector (`pnpm build`, or `git pull && pnpm build`) keeps
// working in the browser without a restart.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchBrowser } from './support/browser.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD = join(ROOT, 'packages/web/scripts/build.ts');
const run = chromiumPath() || process.env.CI ? describe : describe.skip;

/** `pnpm build` of the console from `cwd`, written to `outDir`, with NODE_ENV as given (unset: none). */
const build = (cwd: string, outDir: string, nodeEnv?: string) => {
  const { NODE_ENV: _, ...env } = process.env;
  return promisify(execFile)(process.execPath, [BUILD, '--force', '--out-dir', outDir], {
    cwd,
    env: nodeEnv === undefined ? env : { ...env, NODE_ENV: nodeEnv },
  });
};
const assets = (dir: string) =>
  readdirSync(join(dir, 'assets'))
    .filter((f) => !/\.(br|gz)$/.test(f))
    .sort();

run('console rebuilt next to a running collector', () => {
  const dist = mkdtempSync(join(tmpdir(), 'pantau-dist-'));
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    await build(ROOT, dist);
    [t, browser] = await Promise.all([startTestApp({}, undefined, { consoleDir: dist }), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('names the same bytes the same whichever directory the build runs from', async () => {
    const before = assets(dist);
    await build(join(ROOT, 'packages/web'), dist);
    expect(assets(dist)).toEqual(before);
  }, 60_000);

  it('builds the same console under the test runner (NODE_ENV=test) as from a shell', async () => {
    const before = assets(dist);
    const size = statSync(
      join(dist, 'assets', before.find((f) => f.endsWith('.js') && f.startsWith('index-'))!),
    ).size;
    await build(ROOT, dist, 'test');
    expect(assets(dist)).toEqual(before);
    // Not a development build: no Preact debug tools in the bundle.
    expect(size).toBeLessThan(100_000);
  }, 60_000);

  it('serves the assets a newer index.html names without a restart', async () => {
    const page = await browser.newPage();
    await page.goto(t.url);
    await page.getByLabel('Password').waitFor();
    // An upgrade: new content under a new name, the old file gone, index.html pointing at it.
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)![1]!;
    const renamed = entry.replace(/-[\w-]+\.js$/, '-upgraded.js');
    for (const ext of ['', '.br', '.gz'])
      renameSync(join(dist, 'assets', entry + ext), join(dist, 'assets', renamed + ext));
    writeFileSync(join(dist, 'index.html'), html.replace(entry, renamed));
    const res = await fetch(`${t.url}/assets/${renamed}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    await res.arrayBuffer();
    await page.reload();
    await page.getByLabel('Password').waitFor({ timeout: 10_000 });
    // The old name is gone: a JSON 404 in the API's shape, not the page.
    const gone = await fetch(`${t.url}/assets/${entry}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    await page.close();
  }, 30_000);
});
