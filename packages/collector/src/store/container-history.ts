import type { Container } from '@pantau/shared';
import type { Database, Statement } from 'better-sqlite3';

/** One container's CPU (% of one core) and memory (bytes) over time, bucket averages. */
export interface ContainerSeries {
  name: string;
  step: number;
  ts: number[];
  cpu: number[];
  memory: number[];
}

/** A row per running container at most this often, ms: the agent reports every 15 s by default. */
const EVERY_MS = 10_000;

/** Decides which container_history rows are due (the writer writes them) and reads them. */
export class ContainerHistory {
  readonly #read: Statement<
    { host: number; name: string; from: number; to: number; step: number },
    { b: number; cpu: number; memory: number }
  >;
  readonly #writtenAt = new Map<string, number>();

  constructor(db: Database) {
    this.#read = db.prepare(
      `SELECT CAST((ts - @from) / @step AS INTEGER) AS b, avg(cpu) AS cpu, avg(memory) AS memory
       FROM container_history WHERE host = @host AND name = @name AND ts >= @from AND ts < @to
       GROUP BY b ORDER BY b`,
    );
  }

  /** Adds the rows due for a snapshot that lists containers (host, name, ts, cpu, memory each) to `out`. */
  due(hostId: number, ts: number, containers: readonly Container[], out: (number | string)[]): void {
    for (const c of containers) {
      if (c.state !== 'running') continue;
      const key = `${hostId}\0${c.name}`;
      if (ts - (this.#writtenAt.get(key) ?? 0) < EVERY_MS) continue;
      this.#writtenAt.set(key, ts);
      out.push(hostId, c.name, ts, c.cpu, c.memory);
    }
  }

  /** [from, to) in at most maxPoints buckets; empty buckets are left out. */
  series(hostId: number, name: string, from: number, to: number, maxPoints: number): ContainerSeries {
    const step = Math.max(EVERY_MS, Math.ceil((to - from) / maxPoints));
    const rows = this.#read.all({ host: hostId, name, from, to, step });
    return {
      name,
      step,
      ts: rows.map((r) => from + r.b * step),
      cpu: rows.map((r) => Math.round(r.cpu * 100) / 100),
      memory: rows.map((r) => Math.round(r.memory)),
    };
  }
}
