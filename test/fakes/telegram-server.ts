import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotCommand, Chat, Message, Update, User } from 'grammy/types';
import { until } from '../support/until.ts';

/** One request the fake received, successful or not. */
export interface TelegramCall {
  method: string;
  token: string;
  /** JSON body, form fields or query parameters; uploaded files as { filename, size, type, data }. */
  body: Record<string, unknown>;
  /** Arrival time (epoch ms). */
  at: number;
  /** HTTP status answered. */
  status: number;
  response: unknown;
}

/**
 * A failure to answer instead of the real method: `status` 429 (with `retryAfter` seconds), 500,
 * 403 and so on. It applies `times` times, or during `forMs` from now, or until cleared.
 */
export interface FailureRule {
  status: number;
  description?: string;
  /** Seconds, sent as parameters.retry_after. */
  retryAfter?: number;
  /** Methods it applies to. Default all. */
  methods?: string[];
  /** Only requests for this chat. */
  chatId?: string | number;
  times?: number;
  forMs?: number;
}

interface ActiveRule extends Omit<FailureRule, 'forMs'> {
  until?: number;
}

export interface FakeTelegramOptions {
  /** The bot token requests must carry. Default "123456:TEST-TOKEN". */
  token?: string;
  /** Answer to getMe. */
  botInfo?: Partial<User>;
  /** Methods this server lacks (answered 404 "method not found"), as some Bot API servers do. */
  without?: string[];
  /** Address to listen on; "0.0.0.0" lets containers reach it through their gateway. Default 127.0.0.1. */
  host?: string;
}

export interface PushedUser {
  id: number;
  first_name?: string;
  username?: string;
}

/**
 * A fake Telegram Bot API server on 127.0.0.1, port 0. Pass `url` as grammY's `apiRoot`: requests
 * go to `${url}/bot<token>/<method>`. Implements getMe, sendMessage, editMessageText,
 * answerCallbackQuery, getUpdates (long polling over a queue the test pushes into),
 * setMyCommands (per scope), getMyCommands, deleteMessage, setWebhook, deleteWebhook, getWebhookInfo,
 * sendChatAction, sendPhoto and sendDocument (multipart), and records every call. Like Telegram it
 * answers 409 to a getUpdates while another one is waiting or while a webhook is set; with a
 * webhook set, pushed updates are POSTed to it with the secret token header instead of queued.
 */
export class FakeTelegramServer {
  readonly token: string;
  readonly botInfo: User;
  readonly calls: TelegramCall[] = [];
  /** The bot's commands as last set with setMyCommands for the default scope. */
  commands: BotCommand[] = [];
  /** Commands set per scope, keyed by the scope as JSON (e.g. {"type":"chat","chat_id":5}). */
  readonly scopedCommands = new Map<string, BotCommand[]>();
  /** The webhook as set with setWebhook; null when none. */
  webhook: { url: string; secretToken: string | undefined } | null = null;
  /** Webhook deliveries: the update and the HTTP status the bot's server answered (0 on a network error). */
  readonly deliveries: { update: Update; status: number }[] = [];
  /** How many getUpdates requests are waiting right now. */
  #polling = 0;
  /** When each update was first handed out by getUpdates or POSTed to the webhook (epoch ms, by update_id). */
  readonly handedOutAt = new Map<number, number>();
  readonly #server: Server;
  readonly #without: ReadonlySet<string>;
  #url = '';
  #rules: ActiveRule[] = [];
  readonly #blocked = new Set<string>();
  readonly #messages = new Map<string, Message>();
  readonly #nextMessageId = new Map<string, number>();
  readonly #updates: Update[] = [];
  #nextUpdateId = 1;
  readonly #pollers = new Set<() => void>();
  /** Update ids the bot has taken for sure: polled past (offset) or POSTed and answered. */
  readonly #taken = new Set<number>();

  private constructor(options: FakeTelegramOptions) {
    this.token = options.token ?? '123456:TEST-TOKEN';
    this.#without = new Set(options.without ?? []);
    this.botInfo = {
      id: Number(this.token.split(':')[0]) || 123456,
      is_bot: true,
      first_name: 'Pantau Test',
      username: 'pantau_test_bot',
      can_join_groups: false,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      ...options.botInfo,
    } as User;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ ok: false, error_code: 500, description: `fake server error: ${String(error)}` }),
        );
      });
    });
  }

  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegramServer> {
    const fake = new FakeTelegramServer(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, options.host ?? '127.0.0.1', resolve));
    fake.#url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The grammY `apiRoot`. */
  get url(): string {
    return this.#url;
  }

  /** Answers matching requests with an error (see FailureRule). */
  fail(rule: FailureRule): void {
    const { forMs, ...rest } = rule;
    this.#rules.push({ ...rest, ...(forMs === undefined ? {} : { until: Date.now() + forMs }) });
  }

  clearFailures(): void {
    this.#rules = [];
  }

  /** From now on the chat answers 403 "bot was blocked by the user", as a real one does. */
  block(chatId: string | number): void {
    this.#blocked.add(String(chatId));
  }

  /** Calls of one method, optionally only the successful ones. */
  callsOf(method: string, options: { ok?: boolean } = {}): TelegramCall[] {
    return this.calls.filter((c) => c.method === method && (options.ok !== true || c.status === 200));
  }

  /** Messages delivered by sendMessage, optionally to one chat, in arrival order. */
  sent(chatId?: string | number): TelegramCall[] {
    return this.callsOf('sendMessage', { ok: true }).filter(
      (c) => chatId === undefined || String(c.body.chat_id) === String(chatId),
    );
  }

  /** The stored message, as edited so far. */
  message(chatId: string | number, messageId: number): Message | undefined {
    return this.#messages.get(`${chatId}:${messageId}`);
  }

  /**
   * Waits until the bot has taken every update pushed so far and `handling()` (the bot's count of
   * updates in hand) is 0: then anything it was going to send about them has been sent.
   */
  async settled(handling: () => number, timeoutMs = 10_000): Promise<void> {
    const pushed = this.#nextUpdateId - 1;
    await until(
      `the bot to take and handle updates up to ${pushed}`,
      () => (pushed === 0 || this.#taken.has(pushed)) && handling() === 0,
      timeoutMs,
    );
  }

  /** How many getUpdates requests are waiting right now. */
  get waitingPolls(): number {
    return this.#polling;
  }

  /** Waits until `find` returns a value (not undefined/false) and resolves with it. */
  waitFor<T>(find: (fake: this) => T | undefined | false, timeoutMs = 5_000, what?: string): Promise<T> {
    return until(what ?? 'the fake Telegram server', () => find(this), timeoutMs);
  }

  /**
   * Queues an update for getUpdates, or POSTs it to the webhook when one is set (as Telegram
   * does); update_id is assigned.
   */
  pushUpdate(update: Omit<Update, 'update_id'>): Update {
    const full = { ...update, update_id: this.#nextUpdateId++ } as Update;
    if (this.webhook !== null) {
      void this.deliver(full);
      return full;
    }
    this.#updates.push(full);
    for (const wake of this.#pollers) wake();
    return full;
  }

  /** POSTs an update to the webhook with its secret token (`secretToken` forges one, null sends none); resolves with the status. */
  async deliver(
    update: Update,
    secretToken: string | null | undefined = this.webhook?.secretToken,
  ): Promise<number> {
    if (this.webhook === null) throw new Error('no webhook is set');
    let status = 0;
    if (!this.handedOutAt.has(update.update_id)) this.handedOutAt.set(update.update_id, Date.now());
    try {
      const res = await fetch(this.webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(typeof secretToken === 'string' ? { 'x-telegram-bot-api-secret-token': secretToken } : {}),
        },
        body: JSON.stringify(update),
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    this.deliveries.push({ update, status });
    this.#taken.add(update.update_id);
    return status;
  }

  /** Queues a message from a user in a group chat. */
  pushGroupMessage(from: PushedUser, groupId: number, text: string): Update {
    const user = toUser(from);
    return this.pushUpdate({
      message: {
        message_id: this.#nextId(String(groupId)),
        date: Math.floor(Date.now() / 1000),
        chat: { id: groupId, type: 'group', title: 'ops group' },
        from: user,
        text,
        ...(text.startsWith('/')
          ? { entities: [{ type: 'bot_command' as const, offset: 0, length: text.split(/\s/)[0]!.length }] }
          : {}),
      } as Message & Update.NonChannel,
    });
  }

  /** Messages and photos delivered to a chat, in arrival order. */
  delivered(chatId: string | number): TelegramCall[] {
    return this.calls.filter(
      (c) =>
        ['sendMessage', 'sendPhoto', 'sendDocument'].includes(c.method) &&
        c.status === 200 &&
        String(c.body.chat_id) === String(chatId),
    );
  }

  /** Queues a private text message from a user (e.g. "/status"). */
  pushMessage(from: PushedUser, text: string): Update {
    const user = toUser(from);
    const entities = text.startsWith('/')
      ? [{ type: 'bot_command' as const, offset: 0, length: text.split(/\s/)[0]!.length }]
      : undefined;
    return this.pushUpdate({
      message: {
        message_id: this.#nextId(String(from.id)),
        date: Math.floor(Date.now() / 1000),
        chat: privateChat(user),
        from: user,
        text,
        ...(entities === undefined ? {} : { entities }),
      } as Message & Update.NonChannel,
    });
  }

  /** Queues a button press on a message the bot sent to `from`'s private chat. */
  pushCallbackQuery(from: PushedUser, data: string, messageId?: number): Update {
    const user = toUser(from);
    const message = messageId === undefined ? undefined : this.message(from.id, messageId);
    return this.pushUpdate({
      callback_query: {
        id: String(Math.floor(Math.random() * 1e12)),
        from: user,
        chat_instance: String(from.id),
        data,
        ...(message === undefined ? {} : { message }),
      },
    });
  }

  async close(): Promise<void> {
    for (const wake of this.#pollers) wake();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const body = await readBody(req, url);
    const method = match?.[2] ?? '';
    const token = match?.[1] ?? '';
    const call: TelegramCall = { method, token, body, at, status: 0, response: undefined };
    this.calls.push(call);
    const answer = (status: number, response: unknown) => {
      call.status = status;
      call.response = response;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response));
    };
    const error = (status: number, description: string, retryAfter?: number) =>
      answer(status, {
        ok: false,
        error_code: status,
        description,
        ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }),
      });
    if (match === null) return error(404, 'Not Found');
    if (token !== this.token) return error(401, 'Unauthorized');
    const rule = this.#takeRule(method, body);
    if (rule !== undefined) {
      const description =
        rule.description ??
        (rule.status === 429
          ? `Too Many Requests: retry after ${rule.retryAfter ?? 1}`
          : 'Internal Server Error');
      return error(rule.status, description, rule.status === 429 ? (rule.retryAfter ?? 1) : rule.retryAfter);
    }
    const chatId = body.chat_id === undefined ? undefined : String(body.chat_id);
    if (chatId !== undefined && this.#blocked.has(chatId)) {
      return error(403, 'Forbidden: bot was blocked by the user');
    }
    const ok = (result: unknown) => answer(200, { ok: true, result });
    if (this.#without.has(method)) return error(404, 'Not Found: method not found');
    switch (method) {
      case 'getMe':
        return ok(this.botInfo);
      case 'sendMessage':
      case 'sendDocument':
      case 'sendPhoto': {
        if (chatId === undefined) return error(400, 'Bad Request: chat_id is empty');
        if (method === 'sendMessage' && (typeof body.text !== 'string' || body.text === '')) {
          return error(400, 'Bad Request: message text is empty');
        }
        const message = {
          message_id: this.#nextId(chatId),
          date: Math.floor(at / 1000),
          chat: chatFor(chatId),
          from: this.botInfo,
          ...(method === 'sendMessage'
            ? { text: asSent(body.text, body.parse_mode) }
            : method === 'sendPhoto'
              ? {
                  photo: [{ file_id: `photo-${at}`, file_unique_id: `u${at}`, width: 800, height: 400 }],
                  ...(typeof body.caption === 'string'
                    ? { caption: asSent(body.caption, body.parse_mode) }
                    : {}),
                }
              : {
                  document: { file_id: `doc-${at}`, file_unique_id: `d${at}` },
                  ...(typeof body.caption === 'string'
                    ? { caption: asSent(body.caption, body.parse_mode) }
                    : {}),
                }),
          ...(body.reply_markup === undefined ? {} : { reply_markup: parseJson(body.reply_markup) }),
        } as Message;
        this.#messages.set(`${chatId}:${message.message_id}`, message);
        return ok(message);
      }
      case 'editMessageText': {
        const key = `${chatId}:${body.message_id}`;
        const message = this.#messages.get(key) as (Message & { text?: string }) | undefined;
        if (message === undefined) return error(400, 'Bad Request: message to edit not found');
        const text = asSent(body.text, body.parse_mode);
        if (message.text === text && body.reply_markup === undefined) {
          return error(400, 'Bad Request: message is not modified');
        }
        // Like Telegram, an edit without reply_markup removes the buttons.
        const { reply_markup: _dropped, ...kept } = message as Message & { reply_markup?: unknown };
        const edited = {
          ...kept,
          text,
          edit_date: Math.floor(at / 1000),
          ...(body.reply_markup === undefined ? {} : { reply_markup: parseJson(body.reply_markup) }),
        } as Message;
        this.#messages.set(key, edited);
        return ok(edited);
      }
      case 'getWebhookInfo':
        return ok({
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.#updates.length,
        });
      case 'deleteWebhook':
        this.webhook = null;
        return ok(true);
      case 'answerCallbackQuery':
      case 'deleteMessage':
      case 'sendChatAction':
        return ok(true);
      case 'setMyCommands': {
        const commands = (parseJson(body.commands) as BotCommand[] | undefined) ?? [];
        const scope = parseJson(body.scope) as { type?: string } | undefined;
        if (scope === undefined || scope.type === 'default') this.commands = commands;
        else this.scopedCommands.set(JSON.stringify(scope), commands);
        return ok(true);
      }
      case 'getMyCommands': {
        const scope = parseJson(body.scope) as { type?: string } | undefined;
        return ok(
          scope === undefined || scope.type === 'default'
            ? this.commands
            : (this.scopedCommands.get(JSON.stringify(scope)) ?? this.commands),
        );
      }
      case 'setWebhook':
        if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url)) {
          return error(400, 'Bad Request: bad webhook: an HTTPS URL must be provided for webhook');
        }
        this.webhook = {
          url: body.url,
          secretToken: typeof body.secret_token === 'string' ? body.secret_token : undefined,
        };
        return ok(true);
      case 'getUpdates': {
        if (this.webhook !== null) {
          return error(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          );
        }
        // A client that just aborted its poll (grammY's stop) is gone before its socket close arrives here.
        await until('the previous poll to end', () => this.#polling === 0, 200, 10).catch(() => undefined);
        if (this.#polling > 0) {
          return error(
            409,
            'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
          );
        }
        this.#polling += 1;
        try {
          return ok(await this.#getUpdates(body, req));
        } finally {
          this.#polling -= 1;
        }
      }
      default:
        return error(404, 'Not Found: method not found');
    }
  }

  /** Confirms updates below `offset`, then answers at once or when one arrives or `timeout` s pass. */
  async #getUpdates(body: Record<string, unknown>, req: IncomingMessage): Promise<Update[]> {
    const offset = Number(body.offset ?? 0);
    const limit = Math.min(100, Number(body.limit ?? 100));
    const timeoutMs = Number(body.timeout ?? 0) * 1000;
    while (this.#updates.length > 0 && this.#updates[0]!.update_id < offset) {
      this.#taken.add(this.#updates.shift()!.update_id);
    }
    if (this.#updates.length === 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#pollers.delete(done);
          req.socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.#pollers.add(done);
        req.socket.once('close', done);
      });
    }
    const handed = this.#updates.slice(0, limit);
    const at = Date.now();
    for (const u of handed) if (!this.handedOutAt.has(u.update_id)) this.handedOutAt.set(u.update_id, at);
    return handed;
  }

  #takeRule(method: string, body: Record<string, unknown>): ActiveRule | undefined {
    const now = Date.now();
    this.#rules = this.#rules.filter(
      (r) => (r.times === undefined || r.times > 0) && (r.until === undefined || now < r.until),
    );
    const rule = this.#rules.find(
      (r) =>
        (r.methods === undefined || r.methods.includes(method)) &&
        (r.chatId === undefined || String(r.chatId) === String(body.chat_id)),
    );
    if (rule?.times !== undefined) rule.times -= 1;
    return rule;
  }

  #nextId(chatId: string): number {
    const id = (this.#nextMessageId.get(chatId) ?? 0) + 1;
    this.#nextMessageId.set(chatId, id);
    return id;
  }
}

function toUser(from: PushedUser): User {
  return {
    id: from.id,
    is_bot: false,
    first_name: from.first_name ?? `User ${from.id}`,
    ...(from.username ? { username: from.username } : {}),
  };
}

function privateChat(user: User): Chat.PrivateChat {
  return { id: user.id, type: 'private', first_name: user.first_name };
}

/**
 * A message's text as Telegram stores and returns it: with parse_mode HTML the tags become
 * entities (not kept here) and the text is plain, so a bot that edits by reading it back sees
 * what it would see from Telegram.
 */
function asSent(text: unknown, parseMode: unknown): unknown {
  return parseMode === 'HTML' && typeof text === 'string' ? htmlText(text) : text;
}

/** The text a reader sees of a message written in Telegram's HTML: tags dropped, entities back. */
export function htmlText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function chatFor(chatId: string): Chat {
  const id = Number(chatId);
  return Number.isSafeInteger(id) && id > 0
    ? ({ id, type: 'private', first_name: `User ${id}` } as Chat)
    : ({ id: Number.isSafeInteger(id) ? id : -1, type: 'supergroup', title: chatId } as Chat);
}

/** grammY sends nested objects as JSON strings in form bodies; accept both. */
function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

async function readBody(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const body: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return body;
  if (type.includes('application/json')) return { ...body, ...(JSON.parse(raw.toString('utf8')) as object) };
  if (type.includes('multipart/form-data') || type.includes('application/x-www-form-urlencoded')) {
    const form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: raw,
    }).formData();
    for (const [key, value] of form) {
      body[key] =
        typeof value === 'string'
          ? value
          : {
              filename: value.name,
              size: value.size,
              type: value.type,
              data: Buffer.from(await value.arrayBuffer()),
            };
    }
    // grammY uploads a file as its own part and refers to it with "attach://<part name>".
    for (const [key, value] of Object.entries(body)) {
      const part = typeof value === 'string' && value.startsWith('attach://') ? value.slice(9) : undefined;
      if (part !== undefined && part in body) {
        body[key] = body[part];
        delete body[part];
      }
    }
  }
  return body;
}
