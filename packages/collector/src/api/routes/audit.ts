import Type from 'typebox';
import type { ApiContext, TypedApp } from '../context.ts';
import { Nullable, Surface, withErrors } from '../schemas.ts';

export const AuditItem = Type.Object({
  id: Type.Integer(),
  at: Type.Integer(),
  actor: Type.String({
    description: 'user:<id>, token:<id>, config, cli, collector, telegram:<id>',
  }),
  actorName: Type.String({ description: 'the actor as people read it: a name' }),
  surface: Surface,
  action: Type.String(),
  target: Nullable(Type.String()),
  details: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

/** The audit log, newest first. */
export async function auditRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  app.get(
    '/audit',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary:
          'Audit log, newest first: who did what, from which surface; filter by actor, surface, action, target',
        querystring: Type.Object(
          {
            before: Type.Optional(Type.Integer({ minimum: 1, description: 'continue below this id' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            actor: Type.Optional(
              Type.String({
                maxLength: 128,
                description: "an actor id (user:3, token:7, config, cli) or a person's name (Ann)",
              }),
            ),
            surface: Type.Optional(Surface),
            action: Type.Optional(
              Type.String({
                maxLength: 128,
                description: 'an action, or a prefix: `user` matches user.role, …',
              }),
            ),
            target: Type.Optional(Type.String({ maxLength: 128, description: 'e.g. host:4, user:3' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({
          200: Type.Object({
            items: Type.Array(AuditItem),
            next: Nullable(Type.Integer()),
          }),
        }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const { names } = ctx.access;
      const actor = req.query.actor === undefined ? undefined : names.idFor(req.query.actor);
      const items = ctx.store.audit.find({ ...req.query, actor, limit });
      return {
        items: items.map((e) => ({ ...e, actorName: names.nameOf(e.actor) })),
        next: items.length === limit ? items.at(-1)!.id : null,
      };
    },
  );
}
