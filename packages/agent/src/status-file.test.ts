import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStatus, STATUS_STALE_MS, StatusFile } from './status-file.ts';

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

  it('fails with the reason when there is no file or it is not JSON', () => {
    expect(readStatus(join(dir, 'missing'))).toEqual({
      ok: false,
      line: `no status at ${join(dir, 'missing')} (ENOENT); is the agent running?`,
    });
    writeFileSync(join(dir, 'bad'), '{');
    expect(readStatus(join(dir, 'bad')).ok).toBe(false);
  });
});
