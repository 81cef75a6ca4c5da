import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RowBatch } from './row-batch.ts';

export type ThreadRequest = { t: 'commit'; id: number; rows: RowBatch } | { t: 'close' };
export interface ThreadReply {
  id: number;
  error?: { message: string; code: string | null };
}

/** The writer thread failed a batch or died with one in flight; the rows may not be committed. */
export class WriterThreadError extends Error {
  override readonly name = 'WriterThreadError';
  /** SQLite's code (SQLITE_BUSY, …), or WRITER_THREAD_DIED. */
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/** How long a blocking wait sleeps between checks that the thread is still alive, ms. */
const WAIT_SLICE_MS = 100;
/** A thread that does not close its database within this long is terminated anyway, ms. */
const CLOSE_WAIT_MS = 5_000;

const workerFile = new URL(
  `./write-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

/**
 * The SQLite writer on a worker thread: one row batch in flight at a time, answered through a
 * callback, or waited for synchronously where the caller needs the commit before it goes on
 * (a hello, a host deletion, shutdown). Started on first use; a thread that dies fails its batch
 * and is started again on the next one.
 */
export class WriterThread {
  readonly #dataDir: string;
  readonly #busyTimeout: number;
  #worker: Worker | null = null;
  #port: MessagePort | null = null;
  /** [0]: id of the last batch answered; [1]: 1 once the thread closed its database. */
  #signal = new Int32Array(new SharedArrayBuffer(8));
  #nextId = 0;
  #inFlight: { id: number; done: (err: Error | null) => void } | null = null;

  constructor(options: { dataDir: string; busyTimeout: number }) {
    this.#dataDir = options.dataDir;
    this.#busyTimeout = options.busyTimeout;
  }

  get busy(): boolean {
    return this.#inFlight !== null;
  }

  /** Sends a batch to be committed; `done` gets null once it is, or the error. One at a time. */
  commit(rows: RowBatch, done: (err: Error | null) => void): void {
    if (this.#inFlight) throw new Error('a row batch is already in flight');
    const port = this.#port ?? this.#start();
    const id = ++this.#nextId;
    this.#inFlight = { id, done };
    const request: ThreadRequest = { t: 'commit', id, rows };
    port.postMessage(request, [rows.metrics.buffer]);
  }

  /** Blocks until the batch in flight (if any) is answered, and runs its callback. */
  settle(): void {
    const flight = this.#inFlight;
    if (!flight || !this.#port) return;
    while (Atomics.load(this.#signal, 0) < flight.id && this.#alive()) {
      Atomics.wait(this.#signal, 0, Atomics.load(this.#signal, 0), WAIT_SLICE_MS);
    }
    const reply = receiveMessageOnPort(this.#port)?.message as ThreadReply | undefined;
    if (reply) this.#answered(reply);
    else this.#died('the writer thread stopped before answering');
  }

  /** Waits for the batch in flight, then closes the thread's database and ends it. */
  close(): void {
    this.settle();
    if (!this.#worker || !this.#port) return;
    const request: ThreadRequest = { t: 'close' };
    this.#port.postMessage(request);
    const deadline = performance.now() + CLOSE_WAIT_MS;
    while (Atomics.load(this.#signal, 1) === 0 && this.#alive() && performance.now() < deadline) {
      Atomics.wait(this.#signal, 1, 0, WAIT_SLICE_MS);
    }
    void this.terminate();
  }

  /**
   * Ends the thread now, as a crash would: the batch in flight fails with WRITER_THREAD_DIED
   * whether or not its rows committed (SQLite rolls back an unfinished transaction), and the
   * next commit starts a new thread.
   */
  terminate(): Promise<number> {
    const worker = this.#worker;
    if (!worker) return Promise.resolve(0);
    this.#died('the writer thread was terminated');
    return worker.terminate();
  }

  #start(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.#signal = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(workerFile, {
      workerData: {
        dataDir: this.#dataDir,
        busyTimeout: this.#busyTimeout,
        port: port2,
        signal: this.#signal,
      },
      transferList: [port2],
    });
    // The collector's lifetime is the server's; an idle writer thread must not hold it open.
    worker.unref();
    port1.unref();
    port1.on('message', (reply: ThreadReply) => this.#answered(reply));
    worker.on('error', (err) => {
      if (this.#worker === worker) this.#died(`the writer thread failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#died(`the writer thread exited (code ${code})`);
    });
    this.#worker = worker;
    this.#port = port1;
    return port1;
  }

  #alive(): boolean {
    return this.#worker !== null && this.#worker.threadId !== -1;
  }

  #answered(reply: ThreadReply): void {
    const flight = this.#inFlight;
    if (!flight || flight.id !== reply.id) return;
    this.#inFlight = null;
    flight.done(
      reply.error ? new WriterThreadError(reply.error.message, reply.error.code ?? 'WRITER_FAILED') : null,
    );
  }

  #died(message: string): void {
    this.#stop();
    const flight = this.#inFlight;
    this.#inFlight = null;
    flight?.done(new WriterThreadError(message, 'WRITER_THREAD_DIED'));
  }

  #stop(): void {
    this.#port?.close();
    this.#port = null;
    this.#worker = null;
  }
}
