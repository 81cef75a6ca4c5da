/** One Server-Sent Event as the stream delivered it. */
export interface SseEvent {
  /** `event:` field; `message` when absent. */
  event: string;
  /** `data:` lines joined with newlines. */
  data: string;
  /** `id:` of this event, or the last id seen before it. */
  id: string | undefined;
}

/**
 * An incremental parser for the text/event-stream format (WHATWG HTML §9.2.6): feed it chunks
 * as they arrive, in any split, and it returns the events they complete. Comments and unknown
 * fields are ignored; `retry:` is kept for the caller's reconnect delay.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #hasData = false;
  /** Last event id seen, for `Last-Event-ID` on a reconnect. */
  lastEventId: string | undefined;
  /** Reconnect delay the server asked for, ms. */
  retryMs: number | undefined;

  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.#lineEnd();
      if (end === undefined) break;
      const line = this.#buffer.slice(0, end.at);
      this.#buffer = this.#buffer.slice(end.at + end.length);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** A line ends at \r\n, \n or \r; a lone \r at the very end may be half of a \r\n. */
  #lineEnd(): { at: number; length: number } | undefined {
    const cr = this.#buffer.indexOf('\r');
    const lf = this.#buffer.indexOf('\n');
    if (cr === -1 && lf === -1) return undefined;
    if (cr === -1 || (lf !== -1 && lf < cr)) return { at: lf, length: 1 };
    if (cr === this.#buffer.length - 1) return undefined;
    return { at: cr, length: this.#buffer[cr + 1] === '\n' ? 2 : 1 };
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const event = this.#event || 'message';
    const data = this.#data.join('\n');
    const hasData = this.#hasData;
    this.#event = '';
    this.#data = [];
    this.#hasData = false;
    return hasData ? { event, data, id: this.lastEventId } : undefined;
  }
}
