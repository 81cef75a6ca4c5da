import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migration as incidents } from '../store/migrations/200-incidents.ts';
import { migration as numericHostIds } from '../store/migrations/201-numeric-host-ids.ts';
import { migration as silenceHostPatterns } from '../store/migrations/215-silence-host-patterns.ts';
import { Silences } from './silences.ts';

describe('Silences', () => {
  let dir: string;
  let db: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantau-silences-'));
    db = new Database(join(dir, 'pantau.db'));
    for (const m of [incidents, numericHostIds, silenceHostPatterns]) m.up(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mutes hosts by a name glob, hosts added later included, and nothing else', () => {
    const silences = new Silences(db);
    const window = silences.create(
      { kind: 'maintenance', hostPattern: 'web-*', startsAt: 0, endsAt: 10_000, createdBy: 'user:1' },
      0,
    );
    expect(window.hostPattern).toBe('web-*');
    const host = (id: number, name: string) => ({ id, name, labels: {} });
    expect(silences.match(host(1, 'web-1'), 'host-down', 1, 5000)?.id).toBe(window.id);
    expect(silences.match(host(99, 'web-new'), 'host-down', 2, 5000)?.id).toBe(window.id);
    expect(silences.match(host(2, 'db-1'), 'host-down', 3, 5000)).toBeUndefined();
    expect(silences.match(host(3, 'xweb-1'), 'host-down', 4, 5000)).toBeUndefined();
    expect(silences.match(host(1, 'web-1'), 'host-down', 1, 10_000)).toBeUndefined();
  });
});
