import { formatDuration } from '@pantau/shared';

/** What kind of problem an incident is about. */
export type IncidentKind = 'host_down' | 'service_down' | 'threshold' | 'container' | 'change';

export type Severity = 'critical' | 'warning' | 'info';

/** The facts every incident message repeats, so each one reads on its own. */
export interface IncidentFacts {
  incidentId: number;
  kind: IncidentKind;
  severity: Severity;
  /** Host name as the agent reported it: untrusted text, escaped by every renderer. */
  host: string;
  /** The check, target or metric, e.g. "tcp :8080", "disk /", "cpu"; untrusted text. */
  check?: string;
  /** One line saying what is wrong, e.g. "connection refused", "above 90 % for 1m". */
  summary?: string;
  /** When the problem started (epoch ms). */
  since: number;
  /** The latest observed value, e.g. "93 %" or "offline". */
  value?: string;
}

/** A notification; `at` is when this event happened (epoch ms): opened, reminded, acknowledged, recovered. */
export type NotifyEvent =
  | ({ type: 'opened'; at: number } & IncidentFacts)
  | ({ type: 'reminder'; at: number /** 1 for the first reminder. */; count: number } & IncidentFacts)
  | ({
      type: 'acknowledged';
      at: number;
      /** Who acknowledged it, as people read it; `byId` is their actor id (user:3) for machines. */
      by: string;
      byId?: string;
    } & IncidentFacts)
  | ({ type: 'recovered'; at: number } & IncidentFacts)
  | { type: 'text'; at: number; title: string; text: string };

export interface RenderOptions {
  /** Web console base URL, e.g. "https://pantau.example.com"; adds a link to the incident. Default: none. */
  consoleUrl?: string;
  /** IANA zone every time is written in, and labelled with. Default "UTC". */
  timeZone?: string;
}

/** Telegram inline keyboard, as sendMessage's reply_markup takes it. */
export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

export interface TelegramContent {
  /** HTML for parse_mode "HTML". */
  html: string;
  replyMarkup?: InlineKeyboard;
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** The webhook body: stable field names, times as epoch ms. */
export interface WebhookBody {
  type: NotifyEvent['type'];
  /** When this event happened (epoch ms). */
  at: number;
  title: string;
  text: string;
  incident?: {
    id: number;
    kind: IncidentKind;
    severity: Severity;
    host: string;
    check: string | null;
    summary: string | null;
    since: number;
    value: string | null;
    durationMs: number | null;
    /** Actor id, e.g. user:3. */
    acknowledgedBy: string | null;
    acknowledgedByName: string | null;
    reminder: number | null;
  };
}

/** Silence length offered by the Telegram button. */
export const SILENCE_BUTTON = '1h';

/**
 * Callback data of the incident buttons (Telegram allows 1–64 bytes):
 * `ack:<incidentId>` acknowledges, `sil:<incidentId>:<duration>` silences, e.g. `sil:42:1h`.
 */
export type CallbackAction =
  | { action: 'ack'; incidentId: number }
  | { action: 'silence'; incidentId: number; duration: string };

export function callbackData(action: CallbackAction): string {
  return action.action === 'ack' ? `ack:${action.incidentId}` : `sil:${action.incidentId}:${action.duration}`;
}

const CALLBACK = /^(?:ack:([1-9]\d{0,15})|sil:([1-9]\d{0,15}):(\d{1,6}(?:ms|s|m|h|d)))$/;

/** Parses button callback data; undefined when it is not one of ours. */
export function parseCallbackData(data: string): CallbackAction | undefined {
  const m = CALLBACK.exec(data);
  if (m === null) return undefined;
  if (m[1] !== undefined) return { action: 'ack', incidentId: Number(m[1]) };
  return { action: 'silence', incidentId: Number(m[2]), duration: m[3]! };
}

/** Escapes text for Telegram HTML and e-mail HTML bodies. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Formats epoch ms as "2025-03-01 14:05:09 UTC" or "2025-03-01 15:05:09 Europe/Berlin": always labelled. */
export function formatTime(ms: number, timeZone = 'UTC'): string {
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
  return `${local} ${timeZone}`;
}

const KIND_LABEL: Record<IncidentKind, string> = {
  host_down: 'Host down',
  service_down: 'Service down',
  threshold: 'Threshold exceeded',
  container: 'Container',
  change: 'Change',
};

const SEVERITY_MARK: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** One labelled line of a message; renderers decide how to mark it up. */
interface Line {
  label: string;
  value: string;
}

/** The channel-neutral wording of an event: a title and labelled lines. */
interface Wording {
  mark: string;
  title: string;
  lines: Line[];
  /** How to acknowledge, for channels without buttons; absent when nothing is left to do. */
  ack?: string;
}

function what(e: IncidentFacts): string {
  return e.check === undefined
    ? `${KIND_LABEL[e.kind]} on ${e.host}`
    : `${KIND_LABEL[e.kind]}: ${e.check} on ${e.host}`;
}

/** Longest piece of outside text put into a message; Telegram refuses texts over 4096 characters. */
const MAX_FIELD = 200;

function clip(text: string): string {
  return text.length <= MAX_FIELD ? text : `${text.slice(0, MAX_FIELD - 1)}…`;
}

/** The event with its outside text clipped, so a huge name cannot make a message undeliverable. */
function clipped<E extends IncidentFacts>(e: E): E {
  return {
    ...e,
    host: clip(e.host),
    ...(e.check === undefined ? {} : { check: clip(e.check) }),
    ...(e.summary === undefined ? {} : { summary: clip(e.summary) }),
    ...(e.value === undefined ? {} : { value: clip(e.value) }),
  };
}

function target(e: IncidentFacts): string {
  return e.check === undefined ? e.host : `${e.check} on ${e.host}`;
}

function factLines(e: IncidentFacts): Line[] {
  const lines: Line[] = [{ label: 'Host', value: e.host }];
  if (e.check !== undefined) lines.push({ label: 'Check', value: e.check });
  if (e.summary !== undefined) lines.push({ label: 'What', value: e.summary });
  lines.push({ label: 'Severity', value: e.severity });
  return lines;
}

function ackHint(e: IncidentFacts, options: RenderOptions): string {
  const where = options.consoleUrl === undefined ? '' : ` or open ${incidentUrl(e.incidentId, options)}`;
  return `press Acknowledge in Telegram, POST /api/v1/incidents/${e.incidentId}/ack${where}`;
}

function incidentUrl(id: number, options: RenderOptions): string {
  return `${options.consoleUrl!.replace(/\/+$/, '')}/incidents/${id}`;
}

function word(original: NotifyEvent, options: RenderOptions): Wording {
  if (original.type === 'text') {
    return {
      mark: 'ℹ️',
      title: clip(original.title),
      lines: [{ label: '', value: original.text.slice(0, 3_500) }],
    };
  }
  const event = clipped(original);
  const lines = factLines(event);
  const at = (ms: number) => formatTime(ms, options.timeZone);
  const since = { label: 'Since', value: at(event.since) };
  const value = event.value === undefined ? [] : [{ label: 'Current value', value: event.value }];
  switch (event.type) {
    case 'opened':
      return {
        mark: SEVERITY_MARK[event.severity],
        title: `${what(event)} (#${event.incidentId})`,
        lines: [...lines, since, ...value],
        ack: ackHint(event, options),
      };
    case 'reminder':
      return {
        mark: SEVERITY_MARK[event.severity],
        title: `Still open, reminder ${event.count}: ${what(event)} (#${event.incidentId})`,
        lines: [...lines, since, ...value],
        ack: ackHint(event, options),
      };
    case 'acknowledged':
      return {
        mark: '👀',
        title: `Acknowledged by ${event.by}: ${what(event)} (#${event.incidentId})`,
        lines: [...lines, since, { label: 'Acknowledged', value: at(event.at) }, ...value],
      };
    case 'recovered':
      return {
        mark: '✅',
        title: `Recovered: ${target(event)}, ${KIND_LABEL[event.kind].toLowerCase()} for ${formatDuration(
          Math.max(0, event.at - event.since),
        )} (#${event.incidentId})`,
        // The summary and value describe the failure, which is over: name them as the past.
        lines: [
          ...lines.map((l) => (l.label === 'What' ? { ...l, label: 'Problem was' } : l)),
          { label: 'Lasted', value: formatDuration(Math.max(0, event.at - event.since)) },
          { label: 'From', value: at(event.since) },
          { label: 'To', value: at(event.at) },
        ],
      };
  }
}

/** Telegram: HTML with every piece of outside text escaped, plus buttons while action is possible. */
export function renderTelegram(event: NotifyEvent, options: RenderOptions = {}): TelegramContent {
  const w = word(event, options);
  const body = w.lines.map((l) =>
    l.label === '' ? escapeHtml(l.value) : `${l.label}: <code>${escapeHtml(l.value)}</code>`,
  );
  const parts = [`${w.mark} <b>${escapeHtml(w.title)}</b>`, ...body];
  if (event.type !== 'text' && options.consoleUrl !== undefined) {
    parts.push(`<a href="${escapeHtml(incidentUrl(event.incidentId, options))}">Open in console</a>`);
  }
  const content: TelegramContent = { html: parts.join('\n') };
  if (event.type === 'opened' || event.type === 'reminder') {
    content.replyMarkup = {
      inline_keyboard: [
        [
          {
            text: 'Acknowledge',
            callback_data: callbackData({ action: 'ack', incidentId: event.incidentId }),
          },
          {
            text: 'Silence 1 h',
            callback_data: callbackData({
              action: 'silence',
              incidentId: event.incidentId,
              duration: SILENCE_BUTTON,
            }),
          },
        ],
      ],
    };
  }
  return content;
}

/** E-mail: a plain-text body and an HTML body saying the same. */
export function renderEmail(event: NotifyEvent, options: RenderOptions = {}): EmailContent {
  const w = word(event, options);
  const subject = `[Pantau] ${w.title}`.replace(/[\r\n]+/g, ' ');
  const text = [
    w.title,
    '',
    ...w.lines.map((l) => (l.label === '' ? l.value : `${l.label}: ${l.value}`)),
    ...(w.ack === undefined ? [] : ['', `To acknowledge: ${w.ack}.`]),
  ].join('\n');
  const rows = w.lines
    .map((l) =>
      l.label === ''
        ? `<p>${escapeHtml(l.value)}</p>`
        : `<tr><th align="left">${escapeHtml(l.label)}</th><td>${escapeHtml(l.value)}</td></tr>`,
    )
    .join('');
  const html = [
    `<h2>${w.mark} ${escapeHtml(w.title)}</h2>`,
    rows.startsWith('<tr>') ? `<table>${rows}</table>` : rows,
    w.ack === undefined ? '' : `<p>To acknowledge: ${escapeHtml(w.ack)}.</p>`,
  ].join('\n');
  return { subject, text, html };
}

/** Webhook: the event as JSON with stable field names, plus a ready-made title and text. */
export function renderWebhook(event: NotifyEvent, options: RenderOptions = {}): WebhookBody {
  const w = word(event, options);
  const text = w.lines.map((l) => (l.label === '' ? l.value : `${l.label}: ${l.value}`)).join('\n');
  if (event.type === 'text') return { type: 'text', at: event.at, title: w.title, text };
  return {
    type: event.type,
    at: event.at,
    title: w.title,
    text,
    incident: {
      id: event.incidentId,
      kind: event.kind,
      severity: event.severity,
      host: event.host,
      check: event.check ?? null,
      summary: event.summary ?? null,
      since: event.since,
      value: event.value ?? null,
      durationMs: event.type === 'recovered' ? Math.max(0, event.at - event.since) : null,
      acknowledgedBy: event.type === 'acknowledged' ? (event.byId ?? null) : null,
      acknowledgedByName: event.type === 'acknowledged' ? event.by : null,
      reminder: event.type === 'reminder' ? event.count : null,
    },
  };
}
