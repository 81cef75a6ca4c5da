import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTime } from '../../../test/support/fake-time.ts';
import {
  type AgentStatus,
  readStatus,
  STATUS_REFRESH_MS,
  STATUS_STALE_MS,
  StatusFile,
} from './status-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantau-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('status file', () => {
  it('says connected only while the agent is welcomed, and not once the file goes stale', () => {
    let now = 1_000_000;
    const path = join(dir, 'a.status');
    const file = new StatusFile(path, () => now);
    file.start();
    expect(readStatus(path, now)).toEqual({ ok: false, line: 'not connected for 0 s' });

    now += 2_000;
    file.set(true, 'ws://c:8080/agent');
    now += 5_000;
    expect(readStatus(path, now)).toEqual({ ok: true, line: 'connected to ws://c:8080/agent for 5 s' });

    now += 1_000;
    file.set(false, 'ws://c:8080/agent');
    expect(readStatus(path, now)).toEqual({
      ok: false,
      line: 'not connected (last: ws://c:8080/agent) for 0 s',
    });

    file.set(true, 'ws://c:8080/agent');
    file.stop();
    expect(readStatus(path, now).ok).toBe(false);

    file.set(true, 'ws://c:8080/agent');
    expect(readStatus(path, now + STATUS_STALE_MS + 1_000)).toEqual({
      ok: false,
      line: `status is ${STATUS_STALE_MS / 1000 + 1} s old; the agent is not running or is stuck`,
    });
  });

  it('rewrites the file every refresh interval while nothing changes, and stops when stopped (fake time)', () => {
    const time = new FakeTime(1_000_000);
    const path = join(dir, 'refresh.status');
    const file = new StatusFile(path, time.now, time.timers);
    const written = () => (JSON.parse(readFileSync(path, 'utf8')) as AgentStatus).at;
    file.start();
    expect(written()).toBe(1_000_000);
    time.advance(STATUS_REFRESH_MS - 1);
    expect(written()).toBe(1_000_000);
    time.advance(1);
    expect(written()).toBe(1_000_000 + STATUS_REFRESH_MS);
    time.advance(STATUS_REFRESH_MS);
    expect(written()).toBe(1_000_000 + 2 * STATUS_REFRESH_MS);
    // A refreshed file never goes stale while the agent runs.
    expect(readStatus(path, time.now()).line).not.toMatch(/old/);
    file.stop();
    expect(time.pending).toBe(0);
  });

  it('fails with the reason when there is no file or it is not JSON', () => {
    expect(readStatus(join(dir, 'missing'))).toEqual({
      ok: false,
      line: `no status at ${join(dir, 'missing')} (ENOENT); is the agent running?`,
    });
    writeFileSync(join(dir, 'bad'), '{');
    expect(readStatus(join(dir, 'bad')).ok).toBe(false);
  });
});
