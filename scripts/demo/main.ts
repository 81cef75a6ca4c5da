// pnpm demo: seed 1's scenario on this machine. Keys 1 and 2 stop and start the backends; q quits.
//   PANTAU_TELEGRAM_TOKEN=... PANTAU_DEMO_CHAT=<chat id> pnpm demo   sends the alerts to Telegram
import { createServer } from 'node:net';
import { startDemo } from './demo.ts';
import { NGINX } from './nginx.ts';

async function portOr(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const { port: got } = server.address() as { port: number };
        server.close(() => resolve(got));
      });
    });
  return (await tryListen(preferred)) ?? ((await tryListen(0)) as number);
}

if (!NGINX) {
  console.error('pnpm demo needs nginx as the load balancer: sudo apt-get install nginx-light');
  process.exit(2);
}
const token = process.env.PANTAU_TELEGRAM_TOKEN;
const chat = process.env.PANTAU_DEMO_CHAT;
const demo = await startDemo({
  backendPorts: [await portOr(8080), await portOr(8081)],
  balancerPort: await portOr(8000),
  collectorPort: await portOr(Number(process.env.PANTAU_PORT ?? 8090)),
  ...(token && chat ? { telegram: { token, chat } } : {}),
});
const api = `http://127.0.0.1:${demo.collector.port}`;
const [a, b] = demo.backends;
console.log(`
Pantau demo (seed 1): nginx on ${demo.balancerUrl} balancing ${a.name} on :${a.port} and ${b.name} on :${b.port};
the agent checks all three every 2 s and reports to the collector at ${api}.
  API:            curl -H 'Authorization: Bearer ${demo.adminToken}' ${api}/api/v1/incidents
  Telegram:       ${token && chat ? `alerts go to chat ${chat}` : 'off (set PANTAU_TELEGRAM_TOKEN and PANTAU_DEMO_CHAT)'}
Keys: 1 stops/starts ${a.name}, 2 stops/starts ${b.name}, q quits.
`);

const seen = new Map<number, string>();
const poll = setInterval(async () => {
  try {
    const res = await fetch(`${api}/api/v1/incidents?limit=50`, {
      headers: { authorization: `Bearer ${demo.adminToken}` },
    });
    const { items } = (await res.json()) as { items: Array<{ id: number; title: string; status: string }> };
    for (const i of items.reverse()) {
      if (seen.get(i.id) === i.status) continue;
      seen.set(i.id, i.status);
      console.log(`${new Date().toISOString().slice(11, 19)} incident #${i.id} ${i.status}: ${i.title}`);
    }
  } catch {
    // the collector is stopping
  }
}, 1_000);

const quit = async () => {
  clearInterval(poll);
  console.log('stopping the demo');
  await demo.stop();
  process.exit(0);
};
process.once('SIGINT', quit);
process.once('SIGTERM', quit);
if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8').on('data', async (key: string) => {
    if (key === 'q' || key === '\u0003') return quit();
    const backend = key === '1' ? a : key === '2' ? b : undefined;
    if (!backend) return;
    if (backend.running) await backend.stop();
    else await backend.start();
    const answer = await fetch(demo.balancerUrl).then(
      (r) => `${r.status}`,
      (e: Error) => e.message,
    );
    console.log(`${backend.name} ${backend.running ? 'started' : 'stopped'}; the balancer answers ${answer}`);
  });
}
