/** One stored piece of a run's output. */
export interface OutputPiece {
  stream: 'stdout' | 'stderr';
  data: string;
}

/** The marks put before each line, as `pantau-collector run` prints them: `|` stdout, `!` stderr. */
export const STREAM_MARK = { stdout: '| ', stderr: '! ' } as const;

/**
 * A run's output as text in the order it was written, both streams interleaved, each line
 * marked with its stream. Where the stream changes in the middle of a line, a new line starts,
 * so every line has one mark.
 */
export function markedText(pieces: Iterable<OutputPiece>): string {
  const out: string[] = [];
  let atStart = true;
  let current: OutputPiece['stream'] | null = null;
  for (const piece of pieces) {
    if (!atStart && piece.stream !== current) {
      out.push('\n');
      atStart = true;
    }
    current = piece.stream;
    for (let i = 0; i < piece.data.length; ) {
      const nl = piece.data.indexOf('\n', i);
      const end = nl === -1 ? piece.data.length : nl + 1;
      if (atStart) out.push(STREAM_MARK[piece.stream]);
      out.push(piece.data.slice(i, end));
      atStart = nl !== -1;
      i = end;
    }
  }
  return out.join('');
}
