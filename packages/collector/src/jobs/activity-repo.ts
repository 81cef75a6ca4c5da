import type { ActionParam } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';
import type { Role } from '../access/roles.ts';
import type { Activity } from './types.ts';

interface Row {
  id: string;
  description: string;
  action: string;
  fixed: string;
  params: string;
  dangerous: number;
  minRole: Role;
}

export type ActivityInput = Omit<Activity, 'id' | 'builtin'>;

const COLUMNS = 'id, description, action, fixed, params, dangerous, min_role AS minRole';

/** Admin-defined activities (the built-ins are not stored). */
export class ActivityRepo {
  readonly #sql: {
    all: Statement<[], Row>;
    get: Statement<[string], Row>;
    insert: Statement;
    update: Statement;
    delete: Statement<[string]>;
  };

  constructor(db: Database) {
    this.#sql = {
      all: db.prepare(`SELECT ${COLUMNS} FROM activities ORDER BY id`),
      get: db.prepare(`SELECT ${COLUMNS} FROM activities WHERE id = ?`),
      insert: db.prepare(
        `INSERT INTO activities (id, description, action, fixed, params, dangerous, min_role, created_by, created_at, updated_at)
         VALUES (@id, @description, @action, @fixed, @params, @dangerous, @minRole, @by, @now, @now)`,
      ),
      update: db.prepare(
        `UPDATE activities SET description = @description, action = @action, fixed = @fixed, params = @params,
           dangerous = @dangerous, min_role = @minRole, updated_at = @now WHERE id = @id`,
      ),
      delete: db.prepare('DELETE FROM activities WHERE id = ?'),
    };
  }

  list(): Activity[] {
    return this.#sql.all.all().map(toActivity);
  }

  get(id: string): Activity | undefined {
    const row = this.#sql.get.get(id);
    return row && toActivity(row);
  }

  insert(input: ActivityInput, by: string, now: number): Activity {
    this.#sql.insert.run({ ...toRow(input), by, now });
    return this.get(input.name)!;
  }

  update(input: ActivityInput, now: number): Activity {
    this.#sql.update.run({ ...toRow(input), now });
    return this.get(input.name)!;
  }

  delete(id: string): boolean {
    return this.#sql.delete.run(id).changes > 0;
  }
}

function toRow(a: ActivityInput) {
  return {
    id: a.name,
    description: a.description,
    action: a.action,
    fixed: JSON.stringify(a.fixed),
    params: JSON.stringify(a.params),
    dangerous: a.dangerous ? 1 : 0,
    minRole: a.minRole,
  };
}

function toActivity(row: Row): Activity {
  return {
    id: row.id,
    name: row.id,
    description: row.description,
    action: row.action,
    fixed: JSON.parse(row.fixed) as Activity['fixed'],
    params: JSON.parse(row.params) as ActionParam[],
    dangerous: row.dangerous === 1,
    minRole: row.minRole,
    builtin: false,
  };
}
