// Source-level rules of the code's shape (docs/architecture.md): SQL lives in store/ and in
// `*-repo.ts` files only, so every table has one owner and every statement is prepared once there.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** A statement prepared or run on a database, or SQL text in a string. */
const SQL_PATTERNS: readonly RegExp[] = [
  /\.prepare\s*[<(]/,
  /\b(?:db|#db|database)\s*\.\s*(?:exec|pragma)\s*\(/,
  /['"`]\s*(?:SELECT\b[\s\S]*?\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX)|ALTER\s+TABLE|DROP\s+TABLE)\b/,
];

function holdsSql(source: string): boolean {
  return SQL_PATTERNS.some((pattern) => pattern.test(source));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const packageSources = readdirSync(join(ROOT, 'packages')).flatMap((name) => {
  try {
    return sources(join(ROOT, 'packages', name, 'src'));
  } catch {
    return [];
  }
});

const mayHoldSql = (file: string) => /\/src\/store\//.test(file) || /-repo\.ts$/.test(file);

describe('SQL placement', () => {
  it('recognises SQL the way the codebase writes it', () => {
    expect(holdsSql("db.prepare('SELECT 1')")).toBe(true);
    expect(holdsSql('this.#db.exec(`PRAGMA foreign_keys = ON`)')).toBe(true);
    expect(holdsSql('const sql = `SELECT id, name\n  FROM users WHERE id = ?`;')).toBe(true);
    expect(holdsSql('run("DELETE FROM sessions WHERE expires_at < ?")')).toBe(true);
    expect(holdsSql('/^(\\d+)$/.exec(value)')).toBe(false);
    expect(holdsSql("'select a host, then an activity'")).toBe(false);
  });

  it('finds SQL only in store/ and *-repo.ts files, with no exceptions', () => {
    const offenders = packageSources
      .map((file) => relative(ROOT, file))
      .filter((file) => !mayHoldSql(file))
      .filter((file) => holdsSql(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

/** A role compared by name (`u.role === 'admin'`): a permission question asked past `can()`. */
const ROLE_COMPARISON =
  /\brole\s*[!=]==?\s*['"](?:viewer|operator|admin)['"]|['"](?:viewer|operator|admin)['"]\s*[!=]==?\s*[\w.]*role\b/;

describe('role comparisons', () => {
  it('recognises a comparison by role name, either way round', () => {
    expect(ROLE_COMPARISON.test("users.filter((u) => u.role === 'admin')")).toBe(true);
    expect(ROLE_COMPARISON.test("if ('operator' !== actor.role) return")).toBe(true);
    expect(ROLE_COMPARISON.test("can(u, 'users.manage')")).toBe(false);
    expect(ROLE_COMPARISON.test("{ role: 'admin', status: 'active' }")).toBe(false);
  });

  it('happen only in access/roles.ts, the one permission table (everyone else asks can())', () => {
    const offenders = packageSources
      .map((file) => relative(ROOT, file))
      .filter((file) => file !== 'packages/collector/src/access/roles.ts')
      .filter((file) => ROLE_COMPARISON.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('one owner per statement', () => {
  it('keeps no module-level cache of statements or repositories keyed by database', () => {
    const cached = packageSources
      .map((file) => relative(ROOT, file))
      .filter((file) => /WeakMap<\s*Database\b/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(cached).toEqual([]);
  });
});
