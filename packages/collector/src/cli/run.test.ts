import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type RunIo, runCommand } from './run.ts';

function captureIo(): RunIo & { outText: () => string; errText: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    interactive: false,
    ask: async () => {
      throw new Error('must not ask without a terminal');
    },
    onInterrupt: () => () => {},
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('runCommand without a collector', () => {
  it('exits 2 on a bad flag, naming it, with the usage', async () => {
    const io = captureIo();
    expect(
      await runCommand(['uptime', '--all', '--batch', 'lots'], io, {
        PANTAU_URL: 'http://x',
        PANTAU_TOKEN: 't',
      }),
    ).toBe(2);
    expect(io.errText()).toMatch(/--batch takes a count such as 5 or a percentage such as 10%, got "lots"/);
    expect(io.errText()).toMatch(/Usage:\n {2}pantau-collector run ACTIVITY/);
    expect(io.outText()).toBe('');
  });

  it('prints the usage for --help and exits 0', async () => {
    const io = captureIo();
    expect(await runCommand(['--help'], io, {})).toBe(0);
    expect(io.outText()).toMatch(/--stop-after-failures/);
  });

  it('exits 2 naming the address when the collector cannot be reached', async () => {
    const io = captureIo();
    const url = `http://127.0.0.1:${await closedPort()}`;
    expect(await runCommand(['uptime', '--hosts', 'web-*'], io, { PANTAU_URL: url, PANTAU_TOKEN: 't' })).toBe(
      2,
    );
    expect(io.errText()).toMatch(
      new RegExp(`UNREACHABLE: cannot reach the collector at ${url}/api/v1/activities: ECONNREFUSED`),
    );
  });
});
