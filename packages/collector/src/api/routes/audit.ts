import Type from 'typebox';
import type { ApiContext, TypedApp } from '../context.ts';
import { Nullable, Surface, withErrors } from '../schemas.ts';

/** The audit log, newest first. */
export async function auditRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  app.get(
    '/audit',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit log, newest first: who did what, from which surface',
        querystring: Type.Object(
          {
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'continue below this id' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.Integer(),
                actor: Type.String({
                  description: 'user:<id>, token:<id>, config, cli, collector, telegram:<id>',
                }),
                surface: Surface,
                action: Type.String(),
                target: Nullable(Type.String()),
                details: Nullable(Type.Record(Type.String(), Type.Unknown())),
              }),
            ),
            next: Nullable(Type.Integer()),
          }),
        }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const items = ctx.store.audit.list(req.query.before ?? Number.MAX_SAFE_INTEGER, limit);
      return { items, next: items.length === limit ? items.at(-1)!.id : null };
    },
  );
}
