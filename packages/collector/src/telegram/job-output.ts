import type { Actor } from '../access/actor.ts';
import { markedText, type OutputPiece } from '../jobs/output-text.ts';
import type { JobService } from '../jobs/service.ts';

/**
 * Every host's stored output of a job, as one text file: a header per host, then its lines with
 * both streams in the order written, `|` before stdout lines and `!` before stderr ones.
 */
export function jobOutputFile(jobs: JobService, actor: Actor, jobId: number): string {
  const job = jobs.get(actor, jobId);
  const parts: string[] = [`job ${job.id}: ${job.activity} (${job.state})`];
  for (const run of job.runs) {
    parts.push(
      '',
      `== ${run.host}: ${run.state}${run.exitCode === null ? '' : `, exit ${run.exitCode}`}${run.truncated ? ', output truncated' : ''}`,
    );
    const text = markedText(
      jobs
        .output(actor, jobId, run.hostId)
        .filter((e) => e.type === 'output')
        .map((e) => e.data as OutputPiece),
    );
    if (text !== '') parts.push(text.replace(/\n$/, ''));
  }
  return `${parts.join('\n')}\n`;
}
