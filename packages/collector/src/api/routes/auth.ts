import Type from 'typebox';
import type { ApiContext, TypedApp } from '../context.ts';
import { Nullable, Role, withErrors } from '../schemas.ts';

/** Who-am-I for any token. */
export async function authRoutes(app: TypedApp, _ctx: ApiContext): Promise<void> {
  app.get(
    '/auth/whoami',
    {
      config: { permission: 'account.read' },
      schema: {
        tags: ['auth'],
        summary: 'The identity and role of the calling token (a user token acts as its user)',
        response: withErrors({
          200: Type.Object({
            role: Role,
            actor: Type.String({ description: 'audit id: user:<id>, token:<id> or config' }),
            tokenId: Nullable(Type.Integer()),
            userId: Nullable(Type.Integer()),
            name: Type.String(),
          }),
        }),
      },
    },
    async (req) => req.principal!,
  );
}
