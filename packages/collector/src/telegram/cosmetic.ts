import type { Transformer } from 'grammy';
import type { BotLogger } from './context.ts';

/** Calls that only decorate the chat (menus, "uploading photo…"): never worth stopping real work for. */
const COSMETIC = new Set(['setMyCommands', 'deleteMyCommands', 'sendChatAction']);

/**
 * An API transformer that turns a failed cosmetic call into a logged warning and a success, so a
 * Bot API server lacking `setMyCommands` still polls and a failing `sendChatAction` still lets
 * `/chart` send its picture.
 */
export function bestEffortCosmetics(log: BotLogger): Transformer {
  return async (prev, method, payload, signal) => {
    if (!COSMETIC.has(method)) return prev(method, payload, signal);
    try {
      const res = await prev(method, payload, signal);
      if (res.ok) return res;
      log.warn({ method, error: res.description }, 'telegram: a cosmetic call failed; carrying on');
    } catch (err) {
      log.warn({ err, method }, 'telegram: a cosmetic call failed; carrying on');
    }
    return { ok: true, result: true as never };
  };
}
