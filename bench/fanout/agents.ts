// One worker process holding many simulated agents (raw ws clients). Each says hello with the
// `uptime` action, then answers every job.start with one job.output and a job.end, as a real
// agent running `uptime` would. Prints "ready" once all are welcomed, and a summary on exit.
//   node bench/fanout/agents.ts WS_URL TOKENS_JSON
import { builtinAction, encodeFrame } from '@pantau/shared';
import WebSocket from 'ws';
import { sampleHello } from '../../test/fixtures/samples.ts';

const [url, tokensJson] = [process.argv[2] as string, process.argv[3] as string];
const tokens = JSON.parse(tokensJson) as string[];
const found = builtinAction('uptime');
if (!found) throw new Error('the shared catalog has no uptime action');
const uptime = found.spec;
const sockets: WebSocket[] = [];
let welcomed = 0;
let jobs = 0;
let errors = 0;

function agent(token: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    sockets.push(ws);
    ws.on('open', () => ws.send(encodeFrame(sampleHello({ actions: [uptime], intervalMs: 60_000 }))));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { t: string; jobId?: string };
      if (frame.t === 'welcome') {
        welcomed++;
        resolve();
      } else if (frame.t === 'job.start') {
        jobs++;
        const jobId = frame.jobId as string;
        const started = performance.now();
        ws.send(
          encodeFrame({
            t: 'job.output',
            jobId,
            stream: 'stdout',
            data: ' 12:00:01 up 3 days,  4:05,  0 users,  load average: 0.08, 0.03, 0.01\n',
          }),
        );
        ws.send(
          encodeFrame({
            t: 'job.end',
            jobId,
            exitCode: 0,
            signal: null,
            durationMs: Math.round(performance.now() - started),
            truncated: false,
            timedOut: false,
            cancelled: false,
          }),
        );
      } else if (frame.t === 'error') {
        errors++;
        process.stderr.write(`agent got error frame: ${data.toString()}\n`);
      }
    });
    ws.on('error', (err) => {
      errors++;
      process.stderr.write(`agent socket error: ${err.message}\n`);
      resolve();
    });
  });
}

// Connect gradually so the collector is not hit by a thundering herd of upgrades.
const all: Promise<void>[] = [];
for (let i = 0; i < tokens.length; i++) {
  all.push(agent(tokens[i] as string));
  if (i % 50 === 49) await new Promise((r) => setTimeout(r, 50));
}
await Promise.all(all);
process.stdout.write(`ready ${welcomed}\n`);

// The parent closes stdin when the benchmark is over.
process.stdin.resume();
process.stdin.on('end', () => {
  for (const ws of sockets) ws.close();
  process.stdout.write(`${JSON.stringify({ welcomed, jobs, errors })}\n`);
  process.exit(0);
});
