import type { Database, Statement } from 'better-sqlite3';
import type { ThresholdRuleInput } from './rules.ts';

/** Threshold rules added through the API, stored as they were sent. */
export class RuleRepo {
  readonly #sql: {
    list: Statement<[], { definition: string }>;
    upsert: Statement<[{ id: string; definition: string; by: string; now: number }]>;
    remove: Statement<[string]>;
  };

  constructor(db: Database) {
    this.#sql = {
      list: db.prepare('SELECT definition FROM alert_rules ORDER BY id'),
      upsert: db.prepare(
        `INSERT INTO alert_rules (id, definition, created_by, updated_at) VALUES (@id, @definition, @by, @now)
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare('DELETE FROM alert_rules WHERE id = ?'),
    };
  }

  list(): ThresholdRuleInput[] {
    return this.#sql.list.all().map((r) => JSON.parse(r.definition) as ThresholdRuleInput);
  }

  get(id: string): ThresholdRuleInput | undefined {
    return this.list().find((r) => r.id === id);
  }

  save(input: ThresholdRuleInput, by: string, now: number): void {
    this.#sql.upsert.run({ id: input.id, definition: JSON.stringify(input), by, now });
  }

  remove(id: string): boolean {
    return this.#sql.remove.run(id).changes > 0;
  }
}
