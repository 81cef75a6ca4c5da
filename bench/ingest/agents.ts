// One worker process holding many simulated agents (raw ws clients). Each agent says hello,
// then sends one realistic snapshot per second and records how long each ack took.
import { encodeFrame } from '@pantau/shared';
import WebSocket from 'ws';
import { sampleHello } from '../../test/fixtures/samples.ts';
import { benchSnapshot } from '../snapshots.ts';

const [url, tokensJson, runMs, measureFrom, measureTo] = [
  process.argv[2]!,
  process.argv[3]!,
  Number(process.argv[4]),
  Number(process.argv[5]),
  Number(process.argv[6]),
];
const tokens = JSON.parse(tokensJson) as string[];
const latencies: number[] = [];
let sent = 0;
let acked = 0;
let errors = 0;
/** Error text → count, printed to stderr so a run with errors says what they were. */
const reasons = new Map<string, number>();
const count = (reason: string) => {
  errors++;
  reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
};
const deadline = Date.now() + runMs;

function agent(token: string, index: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    const pending = new Map<number, { at: number; wall: number }>();
    let seq = 0;
    let timer: NodeJS.Timeout | null = null;
    ws.on('open', () => ws.send(encodeFrame(sampleHello({ intervalMs: 1000 }))));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { t: string; seq?: number; lastSeq?: number };
      if (frame.t === 'welcome') {
        seq = frame.lastSeq ?? 0;
        // Spread agents over the second, as real ones are.
        setTimeout(
          () => {
            timer = setInterval(() => {
              if (Date.now() > deadline) {
                clearInterval(timer!);
                ws.close();
                return;
              }
              seq++;
              pending.set(seq, { at: performance.now(), wall: Date.now() });
              ws.send(encodeFrame({ t: 'metrics', snapshot: benchSnapshot(seq, Date.now(), 1000) }));
              sent++;
            }, 1000);
          },
          (index * 997) % 1000,
        );
      } else if (frame.t === 'ack') {
        const now = performance.now();
        for (const [s, { at, wall }] of pending) {
          if (s > frame.seq!) break;
          if (wall >= measureFrom && wall < measureTo) latencies.push(now - at);
          acked++;
          pending.delete(s);
        }
      } else if (frame.t === 'error') {
        count(`error frame ${(frame as { code?: string }).code}`);
      }
    });
    ws.on('error', (err) => count(err.message));
    ws.on('close', () => {
      if (timer) clearInterval(timer);
      resolve();
    });
  });
}

// Connect gradually so the collector is not hit by a thundering herd of upgrades.
const all: Promise<void>[] = [];
for (let i = 0; i < tokens.length; i++) {
  all.push(agent(tokens[i]!, i));
  if (i % 50 === 49) await new Promise((r) => setTimeout(r, 50));
}
await Promise.all(all);
if (reasons.size > 0) console.error('agent worker errors:', Object.fromEntries(reasons));
process.stdout.write(`${JSON.stringify({ sent, acked, errors, latencies })}\n`);
