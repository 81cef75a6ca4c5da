const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${UNITS[i]}`;
}

export const rate = (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${bytes(n)}/s`);
export const pct = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : `${n.toFixed(1)} %`;
export const num = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined ? '–' : n.toFixed(digits);

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export const time = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString() : '–');

/**
 * A run's failure as people say it: "cannot run ping: spawn ping ENOENT" from the agent becomes
 * "ping is not installed on web-1"; anything else is shown as the agent or collector wrote it.
 */
export function runProblem(error: string | null, host: string): string {
  if (!error) return '';
  const spawn = /\bspawn (\S+) (ENOENT|EACCES)\b/.exec(error);
  if (!spawn) return error;
  const program = spawn[1]!.split('/').pop()!;
  return spawn[2] === 'ENOENT'
    ? `${program} is not installed on ${host}`
    : `${program} may not be run on ${host} (permission denied)`;
}
