import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, errorText } from '../api.ts';

interface Chunk {
  seq: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** One host run's stored output (both streams, in order), read again when the run changes. */
export function RunOutput({ jobId, hostId, state }: { jobId: number; hostId: number; state: string }) {
  const text = useSignal<string | null>(null);
  useEffect(() => {
    let stop = false;
    const show = (value: string) => {
      if (!stop) text.value = value;
    };
    api<{ items: Chunk[] }>(`/jobs/${jobId}/runs/${hostId}/output`)
      .then((r) => show(r.items.map((c) => c.data).join('')))
      .catch((err: unknown) => show(`output not available: ${errorText(err)}`));
    return () => {
      stop = true;
    };
  }, [jobId, hostId, state]);
  if (text.value === null) return <p class="muted">loading output…</p>;
  if (text.value === '') return <p class="muted">no output</p>;
  return (
    <pre class="run-output" data-testid="run-output">
      {text.value}
    </pre>
  );
}
