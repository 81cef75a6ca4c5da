import { PantauError } from '@pantau/shared';
import type { Database } from 'better-sqlite3';
import { systemClock } from '../clock.ts';
import type { Migration } from './migrations/index.ts';

export interface MigrationResult {
  applied: { id: number; name: string }[];
  current: number;
}

/**
 * Applies pending migrations in id order, each in its own transaction, and records them in
 * schema_migrations. Works on a new or an existing database; ids already applied are skipped,
 * so migrations from other modules (e.g. 100–199) slot in without renumbering.
 */
export function migrate(db: Database, list: readonly Migration[], now = systemClock): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const seen = new Set<number>();
  for (const m of list) {
    if (!Number.isInteger(m.id) || m.id < 1)
      throw new PantauError('INTERNAL', `migration ${m.name} has invalid id ${m.id}`);
    if (seen.has(m.id)) throw new PantauError('INTERNAL', `two migrations share id ${m.id}`);
    seen.add(m.id);
  }
  const done = new Set(
    (db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
  );
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const applied: { id: number; name: string }[] = [];
  for (const m of [...list].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue;
    try {
      db.transaction(() => {
        m.up(db);
        record.run(m.id, m.name, now());
      })();
    } catch (err) {
      throw new PantauError('INTERNAL', `migration ${m.id} (${m.name}) failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    applied.push({ id: m.id, name: m.name });
  }
  const current =
    (db.prepare('SELECT max(id) AS id FROM schema_migrations').get() as { id: number | null }).id ?? 0;
  return { applied, current };
}
