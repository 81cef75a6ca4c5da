import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../../../../test/fixtures/samples.ts';
import { Store } from './index.ts';
import { backupDatabase } from './maintenance.ts';

// The database holds token hashes and the audit log: only the collector's user may read it.
const retention = { raw: 3_600_000, minute: 3_600_000, hour: 3_600_000, chunkRows: 100 };
const mode = (path: string) => statSync(path).mode & 0o777;
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('data folder and database file modes', () => {
  it.each([
    ['a new nested folder', false],
    ['an existing 0755 folder holding an old 0644 database', true],
  ])('%s ends up 0700 with every database file 0600', async (_, existing) => {
    root = mkdtempSync(join(tmpdir(), 'pantau-perm-'));
    const dataDir = join(root, 'var', 'data');
    const umask = process.umask(0o022);
    try {
      if (existing) {
        mkdirSync(dataDir, { recursive: true, mode: 0o755 });
        chmodSync(dataDir, 0o755);
        writeFileSync(join(dataDir, 'pantau.db'), '');
        chmodSync(join(dataDir, 'pantau.db'), 0o644);
      }
      const store = new Store({ dataDir, busyTimeout: 1000, retention });
      const { host } = store.hosts.add('perm-1', {});
      store.writer.write([{ hostId: host.id, snapshot: sampleSnapshot(1), receivedAt: Date.now() }]);
      const backup = join(dataDir, 'backup.db');
      await backupDatabase(store.db, backup);
      expect(mode(dataDir).toString(8)).toBe('700');
      const files = readdirSync(dataDir);
      expect(files).toEqual(
        expect.arrayContaining(['pantau.db', 'pantau.db-wal', 'pantau.db-shm', 'backup.db']),
      );
      for (const f of files) expect(`${f} ${mode(join(dataDir, f)).toString(8)}`).toBe(`${f} 600`);
      store.close();
    } finally {
      process.umask(umask);
    }
  });
});
