import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Update } from 'grammy/types';
import type { BotService } from './service.ts';

export interface WebhookOptions {
  path: string;
  secret: string;
  service: BotService;
}

const HEADER = 'x-telegram-bot-api-secret-token';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Telegram's POSTs in webhook mode: the secret header checked, the update handed to the bot, 200 at once. */
export async function telegramWebhook(app: FastifyInstance, options: WebhookOptions): Promise<void> {
  app.post(
    options.path,
    { bodyLimit: 1024 * 1024, config: { role: 'public' }, schema: { hide: true } },
    async (req, reply) => {
      const given = req.headers[HEADER];
      if (typeof given !== 'string' || !sameSecret(given, options.secret)) {
        req.log.warn({ ip: req.ip }, 'telegram: webhook call without the right secret token refused');
        return reply.code(401).send({ code: 'UNAUTHORIZED', message: `missing or wrong ${HEADER} header` });
      }
      const update = req.body as Partial<Update> | null;
      if (typeof update !== 'object' || update === null || !Number.isSafeInteger(update.update_id)) {
        return reply.code(400).send({
          code: 'VALIDATION_FAILED',
          message: 'body must be a Telegram Update with an integer update_id',
        });
      }
      if (!options.service.accept(update as Update)) {
        return reply
          .code(503)
          .send({ code: 'SHUTTING_DOWN', message: 'the bot is not ready; Telegram will retry' });
      }
      return reply.code(200).send({ ok: true });
    },
  );
}
