import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../packages/collector/src/charts/units.ts';
import { FakeTelegramServer, type TelegramCall } from './fakes/telegram-server.ts';
import type { AgentProcess } from './support/agent-process.ts';
import { type CollectorProcess, collectorCli, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

/**
 * The bot end to end: a collector process polling the fake Bot API, a real agent reporting this
 * machine, the first admin made with a claim code, and a viewer who registers and asks from a
 * private chat.
 */

const ADMIN = { id: 3100, first_name: 'Adam' };
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
      // No threshold rules: a busy test machine must not queue CPU alerts ahead of the host-down one.
      PANTAU_MONITOR: JSON.stringify({ policy: { repeat: '2s' }, thresholds: [] }),
    },
  });
  api = new Api(collector.url, collector.adminToken);
  const added = await api.addHost(HOST);
  hostId = added.id;
  agent = startAgent(collector.wsUrl, added.token, {
    actions: {
      allow: ['uptime', 'slow', 'wipe'],
      custom: [
        { name: 'slow', argv: ['sh', '-c', 'echo started; sleep 5; echo finished'] },
        { name: 'wipe', argv: ['echo', 'pretending to wipe'], dangerous: true },
      ],
    },
  });
  await until('the host to report', async () => (await api.host(hostId)).latest !== null);
  for (const name of ['slow', 'wipe']) {
    const { status } = await api.call('POST', '/activities', {
      name,
      action: name,
      dangerous: name === 'wipe',
    });
    expect(status).toBe(201);
  }
  await until('the bot to poll', () => telegram.callsOf('getUpdates').length > 0);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await collector?.stop();
  await telegram?.close();
});

/** Asks as the viewer and waits for the bot's answer starting with `starts` (alerts may arrive in between). */
async function ask(
  text: string,
  starts: string,
  method = 'sendMessage',
  who: { id: number; first_name: string } = VIEWER,
): Promise<TelegramCall> {
  const mine = () =>
    telegram.callsOf(method, { ok: true }).filter((c) => String(c.body.chat_id) === String(who.id));
  const before = mine().length;
  telegram.pushMessage(who, text);
  return until(`the answer to ${text}`, () =>
    mine()
      .slice(before)
      .find((c) => String(c.body.text ?? c.body.caption).startsWith(starts)),
  );
}

/** The first message to `who` after `before` whose text contains `part`. */
function messageTo(
  who: { id: number },
  before: number,
  part: string,
  timeoutMs = 15_000,
): Promise<TelegramCall> {
  return until(
    `a message to ${who.id} with ${part}`,
    () =>
      telegram
        .delivered(who.id)
        .slice(before)
        .find((c) => String(c.body.text).includes(part)),
    timeoutMs,
  );
}

async function press(who: { id: number }, data: string, messageId: number): Promise<TelegramCall> {
  const before = telegram.callsOf('answerCallbackQuery').length;
  telegram.pushCallbackQuery(who, data, messageId);
  return until(`the answer to ${data}`, () => telegram.callsOf('answerCallbackQuery')[before]);
}

const messageId = (call: TelegramCall) =>
  (call.response as { result: { message_id: number } }).result.message_id;

/** The first admin, made with a claim code from the CLI; once per file, by whichever test needs it first. */
async function makeAdmin(): Promise<void> {
  const line = (await collectorCli(collector.dataDir, ['telegram', 'claim'])).trim();
  expect(line).toMatch(/^\/start claim_[A-Za-z0-9_-]+$/);
  const reply = await ask(line, '✅', 'sendMessage', ADMIN);
  expect(String(reply.body.text)).toContain('You are now an admin of this Pantau, as <b>Adam</b>');
  // This machine's agent reports every port other tests open: keep those info notices out of the chat.
  const notify = await ask('/notify min warning', '<b>Your notifications', 'sendMessage', ADMIN);
  expect(String(notify.body.text)).toContain('Minimum severity: warning');
}

/** A second user who registers and whom the admin approves as viewer with a button; once per file. */
async function makeViewer(): Promise<void> {
  await adminReady();
  await ask('/start', 'Welcome to Pantau');
  await ask('Vera Viewer', 'Thanks, Vera Viewer');
  const adminBefore = telegram.delivered(ADMIN.id).length;
  await ask('vera@example.com', 'Thank you. Your registration is waiting');
  const request = await messageTo(ADMIN, adminBefore, 'New registration');
  const approve = (
    request.body.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }
  ).inline_keyboard[0]![0]!;
  expect(approve.text).toBe('Approve as viewer');
  const before = telegram.delivered(VIEWER.id).length;
  await press(ADMIN, approve.callback_data, messageId(request));
  await messageTo(VIEWER, before, 'you are a viewer now');
  await ask('/notify min warning', '<b>Your notifications');
}

let admin: Promise<void> | undefined;
let viewer: Promise<void> | undefined;
const adminReady = () => {
  admin ??= makeAdmin();
  return admin;
};
const viewerReady = () => {
  viewer ??= makeViewer();
  return viewer;
};

describe('Telegram bot end to end', () => {
  // Each test makes the people it needs unless an earlier one did, so it also passes alone.
  it('the claim code from the CLI makes the first admin', () => adminReady());

  it('a second user registers and the admin approves them as viewer with a button', () => viewerReady());

  it('answers /ram, /system and /cpu with the real agent’s numbers', async () => {
    await viewerReady();
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
    await viewerReady();
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
    // An agent up for less than one 12-s bucket of the hour has a single sample, and the caption says so.
    expect(String(reply.body.caption)).toMatch(
      new RegExp(`^CPU · ${HOST} · last 1h(\\nOnly one sample so far\\.)?$`),
    );
  });

  it('/status counts the host as up', async () => {
    await viewerReady();
    const status = String((await ask('/status', '<b>Fleet')).body.text);
    expect(status).toContain('Fleet · 1 hosts');
    expect(status).toContain('🟢 1 up');
  });

  it('/run uptime: a viewer is refused; the admin confirms the preview, the message goes live, then a summary and the output', async () => {
    await viewerReady();
    const refused = await ask(`/run uptime ${HOST}`, 'Not allowed');
    expect(String(refused.body.text)).toBe('Not allowed: this needs the operator role; you are viewer.');
    const preview = await ask(`/run uptime ${HOST}`, '<b>▶️ Run uptime on 1 host', 'sendMessage', ADMIN);
    const [go, cancel] = (preview.body.reply_markup as { inline_keyboard: { callback_data: string }[][] })
      .inline_keyboard[0]!;
    expect(go!.callback_data).toMatch(/^rq:[A-Za-z0-9_-]{8}:go$/);
    expect(cancel!.callback_data).toMatch(/:no$/);
    const before = {
      docs: telegram.callsOf('sendDocument', { ok: true }).length,
      admin: telegram.delivered(ADMIN.id).length,
    };
    const started = await press(ADMIN, go!.callback_data, messageId(preview));
    const jobId = Number(/^Job #(\d+) started$/.exec(String(started.body.text))![1]);
    const live = () => telegram.message(ADMIN.id, messageId(preview))?.text ?? '';
    await until('the live message', () => live().includes(`Job #${jobId} · uptime`));
    await until('the job to end in the message', () => live().includes('succeeded'), 20_000);
    expect(live()).toContain(`✅ ${HOST} succeeded`);
    expect(live()).toMatch(/load average/);
    const summary = await messageTo(ADMIN, before.admin, `Job #${jobId} · uptime succeeded`);
    expect(summary.body.reply_parameters).toMatchObject({ message_id: messageId(preview) });
    const doc = await until(
      'the output document',
      () => telegram.callsOf('sendDocument', { ok: true })[before.docs],
    );
    const file = doc.body.document as { filename: string; data: Buffer };
    expect(file.filename).toBe(`job-${jobId}-uptime.txt`);
    expect(file.data.toString()).toContain(`== ${HOST}: succeeded, exit 0`);
    expect(file.data.toString()).toMatch(/load average/);

    // The same confirmation again, and the viewer pressing Cancel on the admin's job: refused, nothing runs.
    const again = await press(ADMIN, go!.callback_data, messageId(preview));
    expect(again.body.text).toBe('This confirmation has expired or is not yours. Send /run again.');
    const forged = await press(VIEWER, `job:${jobId}:cancel`, messageId(preview));
    expect(String(forged.body.text)).toContain('needs the operator role');
    const jobs = await ask('/jobs', '<b>Recent jobs', 'sendMessage', ADMIN);
    expect(String(jobs.body.text)).toContain(`#${jobId} uptime by Adam · succeeded`);
    const one = await ask(`/job ${jobId}`, '<b>✅ Job', 'sendMessage', ADMIN);
    expect(String(one.body.text)).toContain(`✅ ${HOST} succeeded`);
  }, 60_000);

  it('a slow job’s message goes live (running, then its first line), at most one edit per 1.5 s; a dangerous one waits for Confirm', async () => {
    await viewerReady();
    const preview = await ask(`/run slow ${HOST}`, '<b>▶️ Run slow on 1 host', 'sendMessage', ADMIN);
    const go = (preview.body.reply_markup as { inline_keyboard: { callback_data: string }[][] })
      .inline_keyboard[0]![0]!;
    await press(ADMIN, go.callback_data, messageId(preview));
    const live = () => telegram.message(ADMIN.id, messageId(preview))?.text ?? '';
    await until(
      'the running job with its first line',
      () => live().includes('running') && live().includes(`${HOST} | started`),
      10_000,
    );
    expect(telegram.message(ADMIN.id, messageId(preview))?.reply_markup).toMatchObject({
      inline_keyboard: [[{ text: 'Cancel job', callback_data: expect.stringMatching(/^job:\d+:cancel$/) }]],
    });
    await until('the job to end', () => live().includes('finished') && live().includes('succeeded'), 15_000);
    const edits = telegram
      .callsOf('editMessageText', { ok: true })
      .filter((c) => c.body.message_id === messageId(preview));
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < edits.length; i++)
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(1_400);

    const danger = await ask(`/run wipe ${HOST}`, '<b>▶️ Run wipe', 'sendMessage', ADMIN);
    expect(String(danger.body.text)).toContain('⚠️ <b>Dangerous</b>');
    const [confirm] = (danger.body.reply_markup as { inline_keyboard: { callback_data: string }[][] })
      .inline_keyboard[0]!;
    expect(confirm!.callback_data).toMatch(/^job:\d+:confirm$/);
    const refused = await press(VIEWER, confirm!.callback_data, messageId(danger));
    expect(String(refused.body.text)).toContain('needs the admin role');
    await press(ADMIN, confirm!.callback_data, messageId(danger));
    await until(
      'the dangerous job to run',
      () => (telegram.message(ADMIN.id, messageId(danger))?.text ?? '').includes('succeeded'),
      15_000,
    );
  }, 60_000);

  it('the viewer gets the next alert; the admin’s Acknowledge stops the reminders and edits the alert', async () => {
    await viewerReady();
    const before = {
      viewer: telegram.delivered(VIEWER.id).length,
      admin: telegram.delivered(ADMIN.id).length,
    };
    await agent.stop();
    await messageTo(VIEWER, before.viewer, `Host down on ${HOST}`, 30_000);
    const alert = await messageTo(ADMIN, before.admin, `Host down on ${HOST}`, 30_000);
    await messageTo(ADMIN, before.admin, 'reminder 1');
    const data = (alert.body.reply_markup as { inline_keyboard: { callback_data: string }[][] })
      .inline_keyboard[0]![0]!.callback_data;
    expect(data).toMatch(/^ack:\d+$/);
    const refused = await press(VIEWER, data, messageId(alert));
    expect(refused.body.text).toBe('Not allowed: this needs the operator role; you are viewer.');
    const acked = await press(ADMIN, data, messageId(alert));
    expect(String(acked.body.text)).toMatch(/^Acknowledged #\d+: reminders stop\.$/);
    await until('the alert to be edited', () =>
      telegram.message(ADMIN.id, messageId(alert))?.text?.includes('Acknowledged by Adam'),
    );
    // No reminder of this incident is enqueued after the acknowledgement (a busy chat may still be
    // receiving ones queued before it, paced at one message a second).
    const incidentId = Number(data.split(':')[1]);
    const ackedAt = Date.now();
    type Notification = { eventType: string | null; incidentId: number | null; createdAt: number };
    const notifications = async () =>
      (await api.get<{ items: Notification[] }>('/notifications?limit=500')).items;
    // A second host that goes down after the ack and stays down proves a reminder was due meanwhile:
    // its reminders come on the same 2 s repeat, and its second one is a full repeat after the ack.
    const control = await api.addHost(`${HOST}-control`);
    const controlAgent = startAgent(collector.wsUrl, control.token);
    await until('the control host to report', async () => (await api.host(control.id)).latest !== null);
    await controlAgent.stop();
    const controlIncident = await until(
      'the control host to be down',
      async () => {
        const { items } = await api.get<{ items: { id: number; hostId: number }[] }>(
          `/incidents?status=active&hostId=${control.id}`,
        );
        return items.find((i) => i.hostId === control.id);
      },
      30_000,
    );
    await until('two reminders of the open incident', async () => {
      const items = await notifications();
      return (
        items.filter((m) => m.incidentId === controlIncident.id && m.eventType === 'reminder').length >= 2
      );
    });
    const items = await notifications();
    const reminders = items.filter((m) => m.incidentId === incidentId && m.eventType === 'reminder');
    expect(reminders.length).toBeGreaterThan(0);
    expect(reminders.filter((m) => m.createdAt > ackedAt)).toEqual([]);
  }, 100_000);
});
