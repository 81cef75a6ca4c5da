/** One snapshot waiting for its ack, kept as JSON: compact, and sent as is. */
export interface OutboxEntry {
  readonly seq: number;
  /** The snapshot's JSON; it starts with `{"seq":N,` so renumbering rewrites only the prefix. */
  readonly json: string;
}

/**
 * Unacked snapshots in sequence order, bounded: when full, the oldest is dropped and counted.
 * Sequence numbers start at 1 and are never reused within a process.
 */
export class Outbox {
  #entries: OutboxEntry[] = [];
  #max: number;
  #nextSeq = 1;
  #dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#entries.length;
  }

  get max(): number {
    return this.#max;
  }

  /** Snapshots dropped because the outbox was full, since the agent started. */
  get dropped(): number {
    return this.#dropped;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  get firstSeq(): number | undefined {
    return this.#entries[0]?.seq;
  }

  setMax(max: number): void {
    this.#max = max;
    this.#trim(0);
  }

  /**
   * Adds the next snapshot. `render` gets its sequence number and the drop count including any
   * drop this push causes, and returns the snapshot's JSON.
   */
  push(render: (seq: number, dropped: number) => string): OutboxEntry {
    this.#trim(1);
    const seq = this.#nextSeq++;
    const json = render(seq, this.#dropped);
    if (!json.startsWith(`{"seq":${seq},`)) throw new Error('snapshot JSON must start with its seq');
    const entry = { seq, json };
    this.#entries.push(entry);
    return entry;
  }

  /** Drops every entry with seq ≤ `seq` (acks are cumulative). Returns how many went. */
  ack(seq: number): number {
    let n = 0;
    while (n < this.#entries.length && (this.#entries[n]?.seq ?? Infinity) <= seq) n++;
    if (n > 0) this.#entries.splice(0, n);
    return n;
  }

  /** Entries after `seq`, oldest first. */
  after(seq: number): OutboxEntry[] {
    const i = this.#entries.findIndex((e) => e.seq > seq);
    return i < 0 ? [] : this.#entries.slice(i);
  }

  /**
   * Applies `welcome.lastSeq`. A process that was never welcomed and whose numbering is at or
   * below lastSeq continues at lastSeq + 1 (a restarted agent is not a replay); then everything
   * at or below lastSeq is dropped as stored. Returns whether the outbox was renumbered.
   */
  welcome(lastSeq: number, firstWelcome: boolean): { renumbered: boolean; acked: number } {
    const lowest = this.#entries[0]?.seq ?? this.#nextSeq;
    let renumbered = false;
    if (firstWelcome && lowest <= lastSeq) {
      let seq = lastSeq + 1;
      this.#entries = this.#entries.map((e) => {
        const n = seq++;
        return { seq: n, json: `{"seq":${n}${e.json.slice(e.json.indexOf(','))}` };
      });
      this.#nextSeq = seq;
      renumbered = true;
    } else if (this.#nextSeq <= lastSeq) {
      // The collector has more than this process ever numbered (another agent with the same token,
      // or a restored database): jump ahead so new snapshots are not taken for duplicates.
      this.#nextSeq = lastSeq + 1;
    }
    return { renumbered, acked: this.ack(lastSeq) };
  }

  #trim(room: number): void {
    const over = this.#entries.length + room - this.#max;
    if (over > 0) {
      this.#entries.splice(0, over);
      this.#dropped += over;
    }
  }
}
