import type { RunBody } from '../api/types.ts';
/** One host's result as `GET /jobs/:id` lists it; the optional fields are absent from older collectors. */
export type RunRow = Pick<RunBody, 'hostId' | 'host' | 'state'> &
  Partial<Pick<RunBody, 'exitCode' | 'signal' | 'durationMs' | 'truncated' | 'droppedBytes' | 'error'>>;

const truncation = (r: RunRow): string =>
  !r.truncated
    ? ''
    : r.droppedBytes
      ? `output truncated, ${r.droppedBytes} bytes dropped`
      : 'output truncated';

// C0 controls but tab and newline, DEL and C1: a host's output must not drive the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it removes
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text from a host made safe to print: escape sequences and other controls become `?`. */
export function printable(text: string): string {
  return text.replace(CONTROL, '?');
}

/**
 * Prints each host's output line by line with the host as a prefix (`web-1 | …` for stdout,
 * `web-1 ! …` for stderr), holding a partial line until its end arrives or the host ends.
 */
export class HostPrinter {
  readonly #write: (line: string) => void;
  readonly #partial = new Map<string, string>();
  #width: number;

  constructor(write: (line: string) => void, hostNames: readonly string[] = []) {
    this.#write = write;
    this.#width = Math.max(0, ...hostNames.map((h) => printable(h).length));
  }

  output(host: string, stream: 'stdout' | 'stderr', data: string): void {
    const key = `${stream}\u0000${host}`;
    const text = (this.#partial.get(key) ?? '') + data.replace(/\r\n?/g, '\n');
    const lines = text.split('\n');
    const rest = lines.pop() as string;
    if (rest === '') this.#partial.delete(key);
    else this.#partial.set(key, rest);
    for (const line of lines) this.#line(host, stream, line);
  }

  /** Prints what is left of a host's last lines (output without a final newline). */
  flush(host: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${stream}\u0000${host}`;
      const rest = this.#partial.get(key);
      if (rest === undefined) continue;
      this.#partial.delete(key);
      this.#line(host, stream, rest);
    }
  }

  flushAll(): void {
    const hosts = new Set([...this.#partial.keys()].map((k) => k.slice(k.indexOf('\u0000') + 1)));
    for (const host of hosts) this.flush(host);
  }

  /** A line about a host that is not its output, e.g. its end state. */
  note(host: string, text: string): void {
    this.#write(`${this.#prefix(host)} = ${text}`);
  }

  #line(host: string, stream: 'stdout' | 'stderr', line: string): void {
    this.#write(`${this.#prefix(host)} ${stream === 'stdout' ? '|' : '!'} ${printable(line)}`);
  }

  #prefix(host: string): string {
    const name = printable(host);
    this.#width = Math.max(this.#width, name.length);
    return name.padEnd(this.#width);
  }
}

/** `0.21 s`, `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** What a run ended with, in a few words: `exit 0`, `exit 3`, `signal SIGKILL`, `-`. */
export function exitOf(run: RunRow): string {
  if (run.exitCode !== null && run.exitCode !== undefined) return String(run.exitCode);
  if (run.signal) return run.signal;
  return '-';
}

/** The summary table: host, state, exit code, duration, and a note where there is one. */
export function summaryTable(runs: readonly RunRow[]): string[] {
  const rows = runs.map((r) => [
    printable(r.host),
    r.state,
    exitOf(r),
    formatDuration(r.durationMs),
    printable([r.error ?? '', truncation(r)].filter(Boolean).join('; ')),
  ]);
  const header = ['HOST', 'STATE', 'EXIT', 'DURATION', 'NOTE'];
  const withNotes = rows.some((r) => r[4] !== '');
  const columns = withNotes ? 5 : 4;
  const widths = header
    .slice(0, columns)
    .map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const render = (cells: string[]) =>
    cells
      .slice(0, columns)
      .map((c, i) => (i === columns - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const tally = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return [
    render(header),
    ...rows.map(render),
    `${runs.length} host${runs.length === 1 ? '' : 's'}${tally ? `: ${tally}` : ''}`,
  ];
}
