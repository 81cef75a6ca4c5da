import { describe, expect, it } from 'vitest';
import {
  callbackData,
  escapeHtml,
  type NotifyEvent,
  parseCallbackData,
  renderEmail,
  renderTelegram,
  renderWebhook,
} from './message.ts';

const since = Date.UTC(2025, 2, 1, 14, 0, 0);

const opened: NotifyEvent = {
  type: 'opened',
  incidentId: 42,
  kind: 'service_down',
  severity: 'critical',
  host: 'web-1',
  check: 'tcp :8080',
  summary: 'connection refused',
  since,
  at: since + 5_000,
  value: 'down for 2 checks',
};

const hostile: NotifyEvent = {
  ...opened,
  host: '<b>web</b>&co</a><a href="x">',
  check: '</code><script>alert(1)</script>',
  summary: 'a & b < c',
};

/** Tags Telegram's HTML mode accepts; anything else means markup leaked through. */
const TELEGRAM_TAGS = /<\/?(?:b|code|a)(?:\s[^>]*)?>/g;

describe('renderTelegram', () => {
  it('says what, where, since when, the current value, and offers buttons', () => {
    const { html, replyMarkup } = renderTelegram(opened);
    expect(html).toContain('Service down: tcp :8080 on web-1 (#42)');
    expect(html).toContain('Since: <code>2025-03-01 14:00:00 UTC</code>');
    expect(html).toContain('Current value: <code>down for 2 checks</code>');
    expect(html).toContain('connection refused');
    expect(replyMarkup?.inline_keyboard[0]).toEqual([
      { text: 'Acknowledge', callback_data: 'ack:42' },
      { text: 'Silence 1 h', callback_data: 'sil:42:1h' },
    ]);
  });

  it('escapes hostile host and check names so they neither break nor inject markup', () => {
    const { html } = renderTelegram(hostile, { consoleUrl: 'https://pantau.example.com/' });
    const leftover = html.replace(TELEGRAM_TAGS, '');
    expect(leftover).not.toMatch(/[<>]/);
    expect(html).toContain('&lt;b&gt;web&lt;/b&gt;&amp;co&lt;/a&gt;&lt;a href=&quot;x&quot;&gt;');
    expect(html).toContain('&lt;/code&gt;&lt;script&gt;');
    expect(html).toContain('a &amp; b &lt; c');
    expect(html).toContain('<a href="https://pantau.example.com/incidents/42">');
    // Every opened tag is closed: the message still parses.
    const tags = [...html.matchAll(TELEGRAM_TAGS)].map((m) => m[0]);
    const opens = tags.filter((t) => !t.startsWith('</')).length;
    expect(opens * 2).toBe(tags.length);
  });

  it('clips huge outside text so the message stays under Telegram’s 4096 characters', () => {
    const { html } = renderTelegram({ ...opened, host: '<'.repeat(5_000), summary: '&'.repeat(5_000) });
    expect(html.length).toBeLessThan(4_096);
    expect(html).toContain('…');
  });

  it('recovery says how long it lasted and carries no buttons', () => {
    const { html, replyMarkup } = renderTelegram({ ...opened, type: 'recovered', at: since + 252_000 });
    expect(html).toContain('Recovered: tcp :8080 on web-1, service down for 4m 12s (#42)');
    expect(html).toContain('Lasted: <code>4m 12s</code>');
    expect(replyMarkup).toBeUndefined();
  });

  it('recovery neither shows the failure as the current value nor says what is wrong now', () => {
    const down: NotifyEvent = {
      ...opened,
      kind: 'host_down',
      summary: 'web-1 is unreachable: its agent disconnected.',
      value: 'connect ECONNREFUSED 10.0.0.1:443',
    };
    const { html } = renderTelegram({ ...down, type: 'recovered', at: since + 30_000 });
    expect(html).not.toContain('Current value');
    expect(html).not.toContain('ECONNREFUSED');
    expect(html).not.toContain('What:');
    expect(html).toContain('Problem was: <code>web-1 is unreachable: its agent disconnected.</code>');
    expect(renderEmail({ ...down, type: 'recovered', at: since + 30_000 }).text).not.toContain(
      'Current value',
    );
  });

  it('reminders and acknowledgements read on their own', () => {
    expect(renderTelegram({ ...opened, type: 'reminder', count: 3 }).html).toContain('reminder 3');
    const ack = renderTelegram({ ...opened, type: 'acknowledged', by: 'alice', at: since + 60_000 });
    expect(ack.html).toContain('Acknowledged by alice');
    expect(ack.replyMarkup).toBeUndefined();
  });
});

describe('renderEmail', () => {
  it('has a plain-text and an HTML body, both saying how to acknowledge', () => {
    const mail = renderEmail(opened, { consoleUrl: 'https://pantau.example.com' });
    expect(mail.subject).toBe('[Pantau] Service down: tcp :8080 on web-1 (#42)');
    expect(mail.text).toContain('Host: web-1');
    expect(mail.text).toContain('Since: 2025-03-01 14:00:00 UTC');
    expect(mail.text).toContain('POST /api/v1/incidents/42/ack');
    expect(mail.text).toContain('https://pantau.example.com/incidents/42');
    expect(mail.html).toContain('<th align="left">Current value</th><td>down for 2 checks</td>');
  });

  it('escapes hostile names in HTML and keeps the subject on one line', () => {
    const mail = renderEmail({ ...hostile, host: 'evil\r\nBcc: x@example.com <i>' });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<i>');
    expect(mail.html).toContain('&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('renderWebhook', () => {
  it('is plain JSON with stable fields and the raw (unescaped) names', () => {
    const body = renderWebhook({ ...hostile, type: 'recovered', at: since + 90_000 });
    expect(body).toMatchObject({
      type: 'recovered',
      at: since + 90_000,
      incident: { id: 42, kind: 'service_down', host: hostile.host, durationMs: 90_000, since },
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it('carries plain text events', () => {
    expect(renderWebhook({ type: 'text', title: 'Hello', text: 'a <b>', at: 1 })).toEqual({
      type: 'text',
      at: 1,
      title: 'Hello',
      text: 'a <b>',
    });
    expect(renderTelegram({ type: 'text', title: 'Hi', text: 'a <b>', at: 1 }).html).toContain('a &lt;b&gt;');
  });
});

describe('callback data', () => {
  it('round-trips and stays within Telegram’s 64 bytes', () => {
    for (const action of [
      { action: 'ack', incidentId: 9_007_199_254_740_991 },
      { action: 'silence', incidentId: 7, duration: '1h' },
    ] as const) {
      const data = callbackData(action);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(parseCallbackData(data)).toEqual(action);
    }
  });

  it('rejects data that is not ours', () => {
    for (const data of ['ack:', 'ack:0', 'ack:12x', 'sil:3', 'sil:3:1y', 'x:1', 'ack:1:2']) {
      expect(parseCallbackData(data)).toBeUndefined();
    }
  });

  it('escapeHtml covers the characters that matter', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
