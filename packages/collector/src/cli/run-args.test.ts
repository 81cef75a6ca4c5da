import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunArgs, UsageError } from './run-args.ts';

const env = { PANTAU_URL: 'http://127.0.0.1:9', PANTAU_TOKEN: 'tok' };
const dir = mkdtempSync(join(tmpdir(), 'pantau-run-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usage(argv: string[], environment: NodeJS.ProcessEnv = env): string {
  try {
    parseRunArgs(argv, environment);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('parseRunArgs', () => {
  it('reads targets, params, batch, failures, timeout, url and token', () => {
    const o = parseRunArgs(
      [
        'service-restart',
        '--hosts',
        'web-*,7',
        '--hosts',
        'db-1',
        '--selector',
        'env=prod',
        '--param',
        'unit=nginx',
        '-p',
        'count=3',
        '--batch',
        '10%',
        '--stop-after-failures',
        '2',
        '--timeout',
        '1m30s',
        '--yes',
        '--url',
        'https://collector.example:8443/',
      ],
      env,
    );
    expect(o).toEqual({
      activity: 'service-restart',
      targets: { hosts: ['web-*', 7, 'db-1'], selector: 'env=prod' },
      params: { unit: 'nginx', count: '3' },
      batch: '10%',
      stopAfterFailures: 2,
      timeoutMs: 90_000,
      yes: true,
      url: 'https://collector.example:8443',
      token: 'tok',
      help: false,
    });
  });

  it('takes the token from --token first, then PANTAU_TOKEN, then PANTAU_TOKEN_FILE', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    const base = { PANTAU_URL: 'http://x' };
    expect(parseRunArgs(['uptime', '--all', '--token', 'flag'], { ...base, PANTAU_TOKEN: 'env' }).token).toBe(
      'flag',
    );
    expect(
      parseRunArgs(['uptime', '--all'], { ...base, PANTAU_TOKEN: 'env', PANTAU_TOKEN_FILE: file }).token,
    ).toBe('env');
    expect(parseRunArgs(['uptime', '--all'], { ...base, PANTAU_TOKEN_FILE: file }).token).toBe('from-file');
    expect(usage(['uptime', '--all'], { ...base, PANTAU_TOKEN_FILE: join(dir, 'missing') })).toMatch(
      /cannot read PANTAU_TOKEN_FILE .*missing/,
    );
  });

  it.each([
    [[], /needs an ACTIVITY/],
    [['uptime'], /--hosts PATTERN, --selector LABELS or --all/],
    [['uptime', 'web-1', 'web-2', '--all'], /one ACTIVITY.*quote a glob/],
    [['uptime', '--hosts', 'web-1,,web-2'], /--hosts has an empty entry/],
    [['uptime', '--selector', ' '], /--selector is empty/],
    [['uptime', '--all', '--param', 'novalue'], /--param expects NAME=VALUE, got "novalue"/],
    [['uptime', '--all', '--param', '=x'], /--param expects NAME=VALUE/],
    [['uptime', '--all', '-p', 'a=1', '-p', 'a=2'], /--param a is given twice/],
    [
      ['uptime', '--all', '--batch', '0'],
      /--batch takes a count such as 5 or a percentage such as 10%, got "0"/,
    ],
    [['uptime', '--all', '--batch', '150%'], /--batch takes/],
    [['uptime', '--all', '--batch', 'half'], /--batch takes/],
    [['uptime', '--all', '--stop-after-failures', '-1'], /--stop-after-failures/],
    [['uptime', '--all', '--timeout', 'soon'], /--timeout: .*soon/],
    [['uptime', '--all', '--timeout', '10ms'], /--timeout must be at least 100ms/],
    [['uptime', '--all', '--frobnicate'], /Unknown option '--frobnicate'/],
    [
      ['uptime', '--all', '--url', 'ftp://x'],
      /--url must be an http:\/\/ or https:\/\/ address, got "ftp:\/\/x"/,
    ],
  ])('refuses %j naming what to fix', (argv, message) => {
    expect(usage(argv as string[])).toMatch(message);
  });

  it('needs a collector address and a token', () => {
    expect(usage(['uptime', '--all'], { PANTAU_TOKEN: 't' })).toMatch(
      /--url http:\/\/collector:8080 or set PANTAU_URL/,
    );
    expect(usage(['uptime', '--all'], { PANTAU_URL: 'http://x' })).toMatch(
      /--token, or set PANTAU_TOKEN or PANTAU_TOKEN_FILE/,
    );
  });
});
