// The first console user on a fresh install, as systemd or a container runs it (`pantau-collector
// start`): the first start makes `admin` and logs a one-time link once; the link works in the
// browser; the sign-in page's hint, run literally in a shell, sets a new password.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signIn } from './support/browser.ts';
import { type CollectorProcess, collectorCli, startCollectorProcess } from './support/collector-process.ts';

const ROOT = join(import.meta.dirname, '..');
const FIRST_START = /first start: console user admin created; choose its password at (\S+) /g;

describe('the first console admin of a collector started as a service', () => {
  let browser: Browser;
  let collector: CollectorProcess;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await collector?.stop('SIGKILL');
    if (collector) rmSync(collector.dataDir, { recursive: true, force: true });
    await browser?.close();
  });

  it('is made on the first start with a link logged once; the sign-in hint works as written', async () => {
    collector = await startCollectorProcess();
    const links = [...collector.output().matchAll(FIRST_START)].map((m) => m[1]!);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(new RegExp(`^${collector.url}/set-password#ppl_`));
    expect(await collectorCli(collector.dataDir, ['users', 'list'])).toMatch(/^\d+\tadmin\tadmin\tactive\t/);

    // The link, as the log gave it, in a browser: choose a password, then sign in with it.
    const page = await browser.newPage();
    await page.goto(links[0]!);
    await page.getByLabel('New password').fill('first admin password');
    await page.getByLabel('Once more').fill('first admin password');
    await page.getByRole('button', { name: /set password/i }).click();
    await page.getByText('You can now sign in as').waitFor();
    await signIn(page, collector.url, 'admin', 'first admin password');

    // A restart makes nobody and logs no new link.
    const { dataDir, adminToken, port } = collector;
    await collector.stop('SIGTERM');
    collector = await startCollectorProcess({ dataDir, adminToken, port });
    expect(collector.output()).not.toMatch(FIRST_START);

    // The sign-in page's command, run literally by a shell with the package's bin on PATH.
    const login = await browser.newPage();
    await login.goto(collector.url);
    const hint = login.getByTestId('first-admin-hint').locator('code', { hasText: 'pantau-collector' });
    const command = await hint.textContent();
    expect(command).toBe('pantau-collector users passwd admin');
    execFileSync('sh', ['-c', command!], {
      input: 'a new admin password\n',
      stdio: 'pipe',
      env: {
        ...process.env,
        PATH: `${join(ROOT, 'node_modules/.bin')}:${dirname(process.execPath)}:${process.env.PATH}`,
        PANTAU_DATA_DIR: dataDir,
      },
    });
    await signIn(login, collector.url, 'admin', 'a new admin password');
    await Promise.all([page.close(), login.close()]);
  }, 60_000);
});
