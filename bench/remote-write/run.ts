// Remote-write cost per snapshot, in CPU time of the collector's thread: the writer with metric
// rows (the SQLite store, the baseline) against the writer with the remote-write queue row, and
// the sender's work to read, encode, compress and POST the queued samples. The receiver is a
// plain HTTP server in a child process answering 204, so only the sender's side is counted.
//   node bench/remote-write/run.ts [--hosts 1000] [--rounds 10] [--runs 5]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock, systemTimers } from '../../packages/collector/src/clock.ts';
import { EventBus } from '../../packages/collector/src/events.ts';
import { RemoteHttp } from '../../packages/collector/src/remote/http.ts';
import { RemoteQueueRepo } from '../../packages/collector/src/remote/queue-repo.ts';
import { EndpointSender } from '../../packages/collector/src/remote/sender.ts';
import { RemoteQueueSink } from '../../packages/collector/src/remote/sink.ts';
import { Store } from '../../packages/collector/src/store/index.ts';
import { benchSnapshot } from '../snapshots.ts';

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    hosts: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '5' },
  },
});
const hosts = Number(values.hosts);
const rounds = Number(values.rounds);
const runs = Number(values.runs);

if (process.argv[2] === 'receiver') {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  const receiver = fork(fileURLToPath(import.meta.url), ['receiver']);
  const port = await new Promise<number>((resolve) => receiver.once('message', (m) => resolve(m as number)));
  const silent = {
    child: () => silent,
    warn() {},
    error() {},
    info() {},
    debug() {},
  } as unknown as ConstructorParameters<typeof EndpointSender>[0]['log'];
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  /** One run: CPU µs per snapshot to write (and, with the queue, to send). */
  async function run(remote: boolean): Promise<{ write: number; send: number; samples: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'pantau-rw-bench-'));
    const store = new Store({
      dataDir: dir,
      busyTimeout: 1000,
      retention: { raw: 1e12, minute: 1e12, hour: 1e12, chunkRows: 1000 },
      metricRows: !remote,
    });
    const ids = Array.from(
      { length: hosts },
      (_, i) => store.hosts.add(`bench-${i}`, { env: 'prod' }).host.id,
    );
    let sender: EndpointSender | null = null;
    if (remote) {
      const queue = new RemoteQueueRepo(store.db);
      queue.syncEndpoints(['bench']);
      store.writer.setSink(new RemoteQueueSink(queue, store.hosts, new EventBus(() => {})));
      const endpoint = {
        name: 'bench',
        url: `http://127.0.0.1:${port}/api/v1/write`,
        authorization: null,
        ca: null,
        timeout: 10_000,
        extraLabels: {},
        metrics: null,
      };
      sender = new EndpointSender({
        endpoint,
        queue,
        http: new RemoteHttp(endpoint),
        log: silent,
        time: { now: systemClock, timers: systemTimers },
        batch: 500,
        maxAge: 1e12,
        retryMax: 1000,
      });
    }
    let write = 0;
    let send = 0;
    for (let r = 0; r < rounds; r++) {
      const now = Date.now() + r * 1000;
      const batch = ids.map((hostId, i) => ({
        hostId,
        receivedAt: now,
        snapshot: benchSnapshot(r + 1, now + i, 1000),
      }));
      const t0 = cpuMs();
      store.writer.write(batch);
      write += cpuMs() - t0;
      if (sender) {
        const t1 = cpuMs();
        sender.start();
        sender.wake();
        // Polled sparsely so the polling itself stays out of the figure.
        while (sender.lag().rows > 0) await new Promise((resolve) => setTimeout(resolve, 50));
        send += cpuMs() - t1;
      }
    }
    const samples = sender?.stats.samplesSent ?? 0;
    await sender?.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
    const n = hosts * rounds;
    return { write: (write / n) * 1000, send: (send / n) * 1000, samples: samples / n };
  }

  const sqlite: number[] = [];
  const queued: number[] = [];
  const sent: number[] = [];
  let perSnapshot = 0;
  for (let i = 0; i < runs; i++) {
    sqlite.push((await run(false)).write);
    const r = await run(true);
    queued.push(r.write);
    sent.push(r.send);
    perSnapshot = r.samples;
  }
  console.log(`remote-write cost: ${hosts} hosts × ${rounds} snapshots, median of ${runs} runs (CPU time)`);
  console.log('| step | µs per snapshot | µs per sample |');
  console.log('|---|---:|---:|');
  const row = (name: string, xs: number[]) =>
    console.log(`| ${name} | ${median(xs).toFixed(1)} | ${(median(xs) / perSnapshot).toFixed(2)} |`);
  row('write with metric rows (sqlite store, baseline)', sqlite);
  row('write with the queue row (remote store)', queued);
  row('send: read, encode, snappy, POST', sent);
  console.log(`ratio queue-row write / metric-row write: ${(median(queued) / median(sqlite)).toFixed(2)}`);
  console.log(`samples per snapshot: ${perSnapshot.toFixed(1)}`);
  receiver.kill();
}
