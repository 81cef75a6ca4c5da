import { AuditLog } from './audit.ts';
import { ContainerHistory } from './container-history.ts';
import { type Database, openDatabase } from './db.ts';
import { HistoryReader, type MetricHistory, type Retention, sqliteHistory } from './history.ts';
import { HostRepo } from './hosts.ts';
import { type MigrationResult, migrate } from './migrate.ts';
import { migrations as coreMigrations, type Migration } from './migrations/index.ts';
import { RetentionJob } from './retention.ts';
import { SnapshotWriter } from './writer.ts';
import { WriterThread } from './writer-thread.ts';

export interface StoreOptions {
  dataDir: string;
  busyTimeout: number;
  retention: Retention & { chunkRows: number };
  /** Keep metric rows in SQLite (false with `metrics.store: remote`). Default true. */
  metricRows?: boolean;
  /** Where metric history is read when not from SQLite (`metrics.store: remote`). Default: SQLite's tiers. */
  metricHistory?: (hosts: HostRepo) => MetricHistory;
  /** Extra migrations from other modules (ids outside 1–99). */
  migrations?: readonly Migration[];
}

/** The collector's database and the repositories over it. Synchronous: better-sqlite3 is. */
export class Store {
  readonly db: Database;
  readonly hosts: HostRepo;
  readonly writer: SnapshotWriter;
  /** Commits the ingest queue's batches off the main thread (started on first use). */
  readonly writerThread: WriterThread;
  readonly history: HistoryReader;
  /** Metric series for charts and the history API: SQLite's tiers or the time-series database. */
  readonly metricHistory: MetricHistory;
  /** Running containers' CPU and memory over time. */
  readonly containers: ContainerHistory;
  readonly audit: AuditLog;
  readonly retention: RetentionJob;
  readonly migrated: MigrationResult;
  readonly retentionConfig: Retention;

  constructor(options: StoreOptions) {
    this.db = openDatabase(options.dataDir, options.busyTimeout);
    this.migrated = migrate(this.db, [...coreMigrations, ...(options.migrations ?? [])]);
    this.hosts = new HostRepo(this.db);
    this.containers = new ContainerHistory(this.db);
    this.writer = new SnapshotWriter(this.db, {
      metricRows: options.metricRows ?? true,
      containers: this.containers,
    });
    this.writerThread = new WriterThread({ dataDir: options.dataDir, busyTimeout: options.busyTimeout });
    this.history = new HistoryReader(this.db);
    this.audit = new AuditLog(this.db);
    this.retentionConfig = options.retention;
    this.metricHistory =
      options.metricHistory?.(this.hosts) ?? sqliteHistory(this.history, options.retention);
    this.retention = new RetentionJob(this.db, options.retention, options.retention.chunkRows);
  }

  close(): void {
    this.writerThread.close();
    if (this.db.open) {
      // Fold the WAL back into the main file so a copied data dir is self-contained.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }
}

export { coreMigrations as migrations, type Migration, migrate };
