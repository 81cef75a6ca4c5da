import type { OutputChunkBody } from '@pantau/collector/api-types';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, errorText } from '../api.ts';

/** One host run's stored output (both streams interleaved, stderr marked), read again when the run changes. */
export function RunOutput({ jobId, hostId, state }: { jobId: number; hostId: number; state: string }) {
  const chunks = useSignal<OutputChunkBody[] | string | null>(null);
  useEffect(() => {
    let stop = false;
    const show = (value: OutputChunkBody[] | string) => {
      if (!stop) chunks.value = value;
    };
    api<{ items: OutputChunkBody[] }>(`/jobs/${jobId}/runs/${hostId}/output`)
      .then((r) => show(r.items))
      .catch((err: unknown) => show(`output not available: ${errorText(err)}`));
    return () => {
      stop = true;
    };
  }, [jobId, hostId, state]);
  const value = chunks.value;
  if (value === null) return <p class="muted">loading output…</p>;
  if (typeof value === 'string') return <p class="muted">{value}</p>;
  if (value.length === 0) return <p class="muted">no output</p>;
  return (
    <pre class="run-output" data-testid="run-output">
      {value.map((c) => (
        <span key={c.seq} class={c.stream === 'stderr' ? 'out-stderr' : undefined}>
          {c.data}
        </span>
      ))}
    </pre>
  );
}
