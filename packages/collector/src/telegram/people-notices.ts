import type { Api } from 'grammy';
import type { Access } from '../access/index.ts';
import { can } from '../access/roles.ts';
import type { EventBus } from '../events.ts';
import type { BotLogger } from './context.ts';
import { approvalKeyboard } from './features/people.ts';
import { notApproved, withArticle } from './format.ts';
import { bold, text } from './html.ts';
import { guestMenu, menuFor, setChatMenu } from './menus.ts';

export interface PeopleNoticesOptions {
  api: Api;
  access: Access;
  events: EventBus;
  log: BotLogger;
  /** How long a rejected applicant waits, ms (for the message). */
  rejectCooldown: number;
}

/**
 * What the bot tells people about people: every admin hears of a registration (with Approve and
 * Reject buttons), the applicant hears the outcome, and each user's command menu follows their
 * role. Returns the unsubscribe function.
 */
export function peopleNotices(o: PeopleNoticesOptions): () => void {
  const { api, access, log } = o;
  const send = (chatId: number, html: string, extra: Parameters<Api['sendMessage']>[2] = {}) =>
    api.sendMessage(chatId, html, { parse_mode: 'HTML', ...extra }).catch((err: unknown) => {
      log.warn({ err, chatId }, 'telegram: could not send a notice');
    });
  const menu = (chatId: number, group: typeof guestMenu) =>
    setChatMenu(api, group, chatId).catch((err: unknown) => {
      log.warn({ err, chatId }, 'telegram: could not set a chat menu');
    });

  const offPending = o.events.on('user.pending', (e) => {
    const admins = access.repos.users
      .list({ status: 'active', after: 0, limit: 10_000 })
      // Those who may approve it.
      .filter((u) => can(u, 'users.manage') && u.telegramChatId !== null);
    const html = [
      bold('📝 New registration'),
      `Name: ${text(e.name, 128)}`,
      `E-mail: ${text(e.email ?? 'none', 128)}`,
      `Telegram id: ${e.telegramId ?? '?'}`,
    ].join('\n');
    for (const admin of admins)
      void send(admin.telegramChatId!, html, { reply_markup: approvalKeyboard(e.userId) });
    if (admins.length === 0)
      log.warn({ userId: e.userId }, 'telegram: a registration waits, but no admin has Telegram');
  });

  const offChanged = o.events.on('user.changed', (e) => {
    const user = access.repos.users.get(e.userId);
    const chatId = user?.telegramChatId;
    if (chatId === null || chatId === undefined) return;
    switch (e.change) {
      case 'approved':
        void send(chatId, `✅ Welcome: you are ${withArticle(e.role)} now. /help lists what you can ask.`);
        void menu(chatId, menuFor(e.role));
        return;
      case 'rejected':
        void send(chatId, notApproved(o.rejectCooldown));
        void menu(chatId, guestMenu);
        return;
      case 'role':
        void send(chatId, `Your role is ${e.role} now.`);
        void menu(chatId, menuFor(e.role));
        return;
      case 'telegram':
        if (e.status === 'active') void menu(chatId, menuFor(e.role));
        return;
      case 'disabled':
        void send(chatId, 'Your access was disabled by an admin.');
        void menu(chatId, guestMenu);
        return;
      case 'enabled':
        void send(chatId, `Your access was enabled again: you are ${withArticle(e.role)}.`);
        void menu(chatId, menuFor(e.role));
        return;
      default:
        return;
    }
  });
  return () => {
    offPending();
    offChanged();
  };
}
