import type { Transformer } from 'grammy';
import { sleep, type Time } from '../clock.ts';
import type { RateLimiter } from '../notify/rate-limit.ts';

/** Methods that put a message into a chat and so count against Telegram's per-chat limit. */
const PACED = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'editMessageText', 'editMessageCaption']);

/**
 * Paces the bot's replies with the limiter the notification outbox uses, so replies and pushes
 * to one chat together stay near Telegram's one message a second. Replies to one chat go out in
 * order, one at a time.
 */
export function pacing(limiter: RateLimiter, time: Time): Transformer {
  const { now, timers } = time;
  const queues = new Map<string, Promise<unknown>>();
  return (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown }).chat_id;
    if (!PACED.has(method) || chatId === undefined) return prev(method, payload, signal);
    const key = `telegram:${String(chatId)}`;
    const run = async () => {
      for (;;) {
        const at = limiter.nextAllowed('telegram', key, now());
        if (at <= now()) break;
        await sleep(timers, at - now());
      }
      limiter.started('telegram', now());
      // Counted from the start too, so the outbox does not send into this chat while the reply is on the wire.
      limiter.finished('telegram', key, now());
      try {
        return await prev(method, payload, signal);
      } finally {
        limiter.finished('telegram', key, now());
      }
    };
    const previous = queues.get(key) ?? Promise.resolve();
    const result = previous.then(run, run);
    const tail = result.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return result;
  };
}
