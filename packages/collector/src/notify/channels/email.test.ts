import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSmtpServer } from '../../../../../test/fakes/smtp-server.ts';
import { tempNotifyDb } from '../../../../../test/fakes/temp-db.ts';
import { FakeTime } from '../../../../../test/support/fake-time.ts';
import { until } from '../../../../../test/support/until.ts';
import { renderEmail } from '../message.ts';
import { Outbox } from '../outbox.ts';
import { EmailChannel, type EmailChannelOptions } from './email.ts';

let smtp: FakeSmtpServer;
let store: ReturnType<typeof tempNotifyDb>;
let outbox: Outbox | undefined;

beforeEach(async () => {
  smtp = await FakeSmtpServer.start({ user: 'pantau', pass: 's3cret' });
  store = tempNotifyDb();
});

afterEach(async () => {
  await outbox?.stop();
  outbox = undefined;
  await smtp.close();
  store.cleanup();
});

function channel(options: Partial<EmailChannelOptions> = {}): EmailChannel {
  return new EmailChannel({
    host: smtp.host,
    port: smtp.port,
    auth: { user: 'pantau', pass: 's3cret' },
    from: 'Pantau <pantau@example.com>',
    tls: { rejectUnauthorized: false },
    timeoutMs: 5_000,
    ...options,
  });
}

const hostileIncident = renderEmail({
  type: 'opened',
  at: 1_700_000_005_000,
  incidentId: 7,
  kind: 'host_down',
  severity: 'critical',
  host: 'db-<b>1</b> & </a>',
  since: 1_700_000_000_000,
  value: 'offline',
});

describe('EmailChannel', () => {
  it('sends plain-text and HTML bodies over STARTTLS with AUTH, hostile names escaped', async () => {
    const email = channel();
    const result = await email.send(
      { to: 'ops@example.com', ...hostileIncident },
      { messageId: 11, signal: new AbortController().signal },
    );
    await email.close();
    expect(result).toMatchObject({ outcome: 'sent' });
    const [mail] = smtp.mails;
    expect(mail).toMatchObject({ secure: true, user: 'pantau', envelope: { to: ['ops@example.com'] } });
    expect(mail!.envelope.from).toBe('pantau@example.com');
    expect(mail!.subject).toBe('[Pantau] Host down on db-<b>1</b> & </a> (#7)');
    expect(mail!.text).toContain('Host: db-<b>1</b> & </a>');
    expect(mail!.text).toContain('Current value: offline');
    expect(mail!.html).toContain('db-&lt;b&gt;1&lt;/b&gt; &amp; &lt;/a&gt;');
    expect(mail!.html).not.toContain('<b>1</b>');
    expect(mail!.headers.get('x-pantau-message-id')).toBe('11');
  });

  it('classifies refusals: 4xx retry, 5xx and bad credentials permanent', async () => {
    const signal = new AbortController().signal;
    smtp.refuse({ code: 451, times: 1 });
    const email = channel();
    const payload = { to: 'ops@example.com', subject: 's', text: 't', html: '<p>t</p>' };
    expect(await email.send(payload, { messageId: 1, signal })).toMatchObject({ outcome: 'retry' });
    smtp.refuse({ code: 550, stage: 'rcpt', times: 1 });
    expect(await email.send(payload, { messageId: 2, signal })).toMatchObject({ outcome: 'permanent' });
    await email.close();
    const wrong = channel({ auth: { user: 'pantau', pass: 'wrong' } });
    expect(await wrong.send(payload, { messageId: 3, signal })).toMatchObject({ outcome: 'permanent' });
    await wrong.close();
  });

  it('refuses to send in clear when the server offers no STARTTLS', async () => {
    const plain = await FakeSmtpServer.start({ starttls: false });
    const email = new EmailChannel({
      host: plain.host,
      port: plain.port,
      from: 'pantau@example.com',
      timeoutMs: 2_000,
    });
    const result = await email.send(
      { to: 'ops@example.com', subject: 's', text: 't', html: 't' },
      { messageId: 1, signal: new AbortController().signal },
    );
    await email.close();
    await plain.close();
    expect(result.outcome).not.toBe('sent');
    expect(plain.mails).toHaveLength(0);
  });

  it('through the outbox: a temporary SMTP failure delays the message, then it is delivered once', async () => {
    smtp.refuse({ code: 421, message: 'Service not available, try later', times: 2 });
    const time = new FakeTime();
    const o = new Outbox({
      db: store.db,
      channels: { email: channel() },
      backoff: { initialMs: 50, maxMs: 200 },
      now: time.now,
      timers: time.timers,
    });
    outbox = o;
    o.start();
    const id = o.enqueue({ channel: 'email', payload: { to: 'ops@example.com', ...hostileIncident } });
    // The backoff runs on fake time, moved on at each poll; nothing pending means no second send is on its way.
    await until('the mail, and nothing left pending', () => {
      time.advance(50);
      return smtp.mails.length === 1 && o.depth() === 0;
    });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.refused).toHaveLength(2);
    await outbox.stop();
    const attempts = outbox.attempts(id);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'sent']);
    expect(attempts[0]!.error).toContain('421');
    expect(outbox.message(id)?.status).toBe('sent');
  });
});
