import { markedText, type OutputPiece } from './output-text.ts';
import type { JobEvent, Run } from './types.ts';

/** Characters of output kept in a report row. */
export const TAIL_CHARS = 500;

export interface ReportRow {
  jobId: number;
  activity: string;
  /** Actor id (user:3), for machines. */
  actor: string;
  /** Who started the job, as people read it. */
  actorName: string;
  hostId: number;
  host: string;
  state: string;
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  outputTail: string;
  /** Why the run did not succeed as the agent or collector said it (`spawn ping ENOENT`), else null. */
  error: string | null;
}

export const REPORT_COLUMNS: readonly (keyof ReportRow)[] = [
  'jobId',
  'activity',
  'actor',
  'actorName',
  'hostId',
  'host',
  'state',
  'exitCode',
  'startedAt',
  'endedAt',
  'durationMs',
  'outputTail',
  'error',
];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The last characters of a run's stored output, both streams interleaved in order, each line marked with its stream. */
export function outputTail(chunks: readonly JobEvent[]): string {
  const pieces: OutputPiece[] = [];
  let chars = 0;
  for (let i = chunks.length - 1; i >= 0 && chars < TAIL_CHARS; i--) {
    const piece = chunks[i]!.data as OutputPiece;
    pieces.unshift(piece);
    chars += piece.data.length;
  }
  return markedText(pieces).slice(-TAIL_CHARS);
}

export function reportRow(
  job: { id: number; activity: string; actor: string; actorName: string },
  run: Run,
  tail: string,
): ReportRow {
  return {
    jobId: job.id,
    activity: job.activity,
    actor: job.actor,
    actorName: job.actorName,
    hostId: run.hostId,
    host: run.host,
    state: run.state,
    exitCode: run.exitCode,
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    durationMs: run.durationMs,
    outputTail: tail,
    error: run.error,
  };
}

/** RFC 4180 with every field quoted; a leading = + - @ gets a quote so spreadsheets show it as text. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

export function toCsv(rows: readonly ReportRow[]): string {
  const lines = [REPORT_COLUMNS.join(',')];
  for (const row of rows) lines.push(REPORT_COLUMNS.map((c) => cell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
