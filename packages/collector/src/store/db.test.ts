import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './db.ts';

let dir: string;
let main: Database;
let other: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantau-db-'));
  main = openDatabase(dir, 1_000);
  // The writer thread's connection, here without patience: it must not slip in.
  other = openDatabase(dir, 0);
  main.exec('CREATE TABLE t (x INTEGER)');
});
afterEach(() => {
  main.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'committed';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('two connections on one file', () => {
  it('a transaction that reads, then writes, holds when the other connection tries to commit in between', () => {
    let theirs = '';
    const ours = codeOf(() =>
      main.transaction(() => {
        main.prepare('SELECT count(*) FROM t').get();
        theirs = codeOf(() => other.prepare('INSERT INTO t VALUES (2)').run());
        main.prepare('INSERT INTO t VALUES (1)').run();
      })(),
    );
    // A deferred transaction lets the other commit and then fails with SQLITE_BUSY_SNAPSHOT.
    expect({ ours, theirs }).toEqual({ ours: 'committed', theirs: 'SQLITE_BUSY' });
    expect(other.prepare('INSERT INTO t VALUES (2)').run().changes).toBe(1);
    expect(main.prepare('SELECT x FROM t ORDER BY rowid').pluck().all()).toEqual([1, 2]);
  });

  it('nested transactions stay savepoints: an inner failure rolls back only the inner part', () => {
    main.transaction(() => {
      main.prepare('INSERT INTO t VALUES (1)').run();
      codeOf(() =>
        main.transaction(() => {
          main.prepare('INSERT INTO t VALUES (2)').run();
          throw Object.assign(new Error('inner'), { code: 'INNER' });
        })(),
      );
    })();
    expect(main.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
  });
});
