import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../packages/collector/src/charts/units.ts';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import type { AgentProcess } from './support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent, until } from './support/e2e.ts';

/**
 * The bot end to end: a collector process polling the fake Bot API, a real agent reporting this
 * machine, and a viewer asking from a private chat.
 */

const VIEWER = { id: 3101, first_name: 'Vera' };
const HOST = 'e2e-bot-host';

let telegram: FakeTelegramServer;
let collector: CollectorProcess;
let agent: AgentProcess;
let api: Api;
let hostId = 0;

beforeAll(async () => {
  telegram = await FakeTelegramServer.start();
  collector = await startCollectorProcess({
    env: {
      PANTAU_TELEGRAM_TOKEN: telegram.token,
      PANTAU_TELEGRAM_API_ROOT: telegram.url,
      PANTAU_NOTIFY_RECIPIENTS: JSON.stringify([
        { name: 'Vera', channel: 'telegram', address: String(VIEWER.id) },
      ]),
      PANTAU_MONITOR: JSON.stringify({ policy: { repeat: '30s' } }),
    },
  });
  api = new Api(collector.url, collector.adminToken);
  const added = await api.addHost(HOST);
  hostId = added.id;
  agent = startAgent(collector.wsUrl, added.token);
  await until('the host to report', async () => (await api.host(hostId)).latest !== null);
  await until('the bot to poll', () => telegram.callsOf('getUpdates').length > 0);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await collector?.stop();
  await telegram?.close();
});

/** Asks as the viewer and waits for the bot's answer starting with `starts` (alerts may arrive in between). */
async function ask(text: string, starts: string, method = 'sendMessage'): Promise<TelegramCall> {
  const mine = () =>
    telegram.callsOf(method, { ok: true }).filter((c) => String(c.body.chat_id) === String(VIEWER.id));
  const before = mine().length;
  telegram.pushMessage(VIEWER, text);
  return until(`the answer to ${text}`, () =>
    mine()
      .slice(before)
      .find((c) => String(c.body.text ?? c.body.caption).startsWith(starts)),
  );
}

describe('Telegram bot end to end', () => {
  it('answers /ram, /system and /cpu with the real agent’s numbers', async () => {
    const latest = await api.get<{ metrics: Record<string, number>; cpuCores: number[] | null }>(
      `/hosts/${hostId}/latest`,
    );
    const detail = await api.get<{ system: { kernel: string; cores: number } }>(`/hosts/${hostId}`);
    const ram = String((await ask(`/ram ${HOST}`, '<b>Memory')).body.text);
    expect(ram).toContain(`Memory · ${HOST}`);
    expect(ram).toMatch(
      new RegExp(`total\\s+${formatBytes(latest.metrics['memory.total']!).replace('.', '\\.')}`),
    );
    const system = String((await ask(`/system ${HOST.slice(0, 8)}`, '<b>System')).body.text);
    expect(system).toContain(`Kernel: ${detail.system.kernel}`);
    expect(system).toContain(`${detail.system.cores} cores`);
    const cpu = String((await ask(`/cpu ${HOST}`, '<b>CPU')).body.text);
    expect(cpu).toMatch(/busy\s+\d+(\.\d)? %/);
    expect(cpu).toContain(`${latest.cpuCores?.length} cores:`);
  });

  it('/chart cpu returns a PNG chart of the agent’s host: 800 × 400 with its title drawn', async () => {
    const reply = await ask(`/chart cpu ${HOST} 1h`, 'CPU', 'sendPhoto');
    const image = PNG.sync.read((reply.body.photo as { data: Buffer }).data);
    expect([image.width, image.height]).toEqual([800, 400]);
    let title = 0;
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 300; x++) {
        const i = (image.width * y + x) * 4;
        if (image.data[i]! + image.data[i + 1]! + image.data[i + 2]! < 600) title += 1;
      }
    }
    expect(title).toBeGreaterThan(150);
    expect(String(reply.body.caption)).toBe(`CPU · ${HOST} · last 1h`);
  });

  it('/status counts the host as up', async () => {
    const status = String((await ask('/status', '<b>Fleet')).body.text);
    expect(status).toContain('Fleet · 1 hosts');
    expect(status).toContain('🟢 1 up');
  });
});
