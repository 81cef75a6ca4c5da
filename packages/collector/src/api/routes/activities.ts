import { ActionParam } from '@pantau/shared';
import Type, { type Static } from 'typebox';
import type { Activity } from '../../jobs/types.ts';
import { actorOf } from '../actor.ts';
import type { ApiContext, TypedApp } from '../context.ts';
import { Role, withErrors } from '../schemas.ts';

const Name = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z0-9][a-z0-9_.-]*$',
  description: 'lower-case letters, digits, dot, dash, underscore',
});
const FixedValues = Type.Record(
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
  Type.Union([Type.String({ maxLength: 1024 }), Type.Integer()]),
  {
    maxProperties: 32,
    description: 'parameters always sent, name → value',
  },
);

export const ActivityItem = Type.Object({
  id: Type.String({ description: 'built-ins: the action name; admin-defined: their unique name' }),
  name: Type.String(),
  description: Type.String(),
  action: Type.String({ description: 'the agent action it runs (built-in or an agent custom action)' }),
  fixed: Type.Record(Type.String(), Type.Union([Type.String(), Type.Integer()])),
  params: Type.Array(ActionParam, {
    description: 'what the caller supplies, typed: enum, integer range, regex',
  }),
  dangerous: Type.Boolean({ description: 'needs job.run.dangerous (admin) and a confirmation' }),
  minRole: Role,
  builtin: Type.Boolean(),
});

export const AgentAction = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  dangerous: Type.Boolean({ description: 'the agent marks it dangerous; activities over it must be too' }),
  params: Type.Array(ActionParam),
  builtin: Type.Boolean({ description: 'false: a custom action from an agent config' }),
});

const ActivityBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1024, default: '' })),
    action: Name,
    fixed: Type.Optional(FixedValues),
    params: Type.Optional(Type.Array(ActionParam, { maxItems: 32 })),
    dangerous: Type.Optional(Type.Boolean({ default: false })),
    minRole: Type.Optional(Role),
  },
  { additionalProperties: false },
);

const ActivityParams = Type.Object({ id: Name });

function input(body: Static<typeof ActivityBody>): Omit<Activity, 'id' | 'builtin'> {
  return {
    name: body.name,
    description: body.description ?? '',
    action: body.action,
    fixed: body.fixed ?? {},
    params: body.params ?? [],
    dangerous: body.dangerous ?? false,
    minRole: body.minRole ?? 'operator',
  };
}

/** The activity catalog: built-ins plus admin-defined activities (create, edit, delete; audited). */
export async function activityRoutes(app: TypedApp, ctx: ApiContext): Promise<void> {
  const { activities } = ctx.jobs;
  const tags = ['jobs'];

  app.get(
    '/activities',
    {
      config: { permission: 'activities.read' },
      schema: {
        tags,
        summary: 'What can be run: built-in actions and admin-defined activities',
        response: withErrors({ 200: Type.Object({ items: Type.Array(ActivityItem) }) }),
      },
    },
    async (req) => ({ items: activities.list(actorOf(req)) }),
  );

  app.get(
    '/agent-actions',
    {
      config: { permission: 'activities.read' },
      schema: {
        tags,
        summary:
          'What an activity can run: the built-in actions, then the custom actions agents announced (with their parameters)',
        response: withErrors({
          200: Type.Object({
            items: Type.Array(AgentAction),
          }),
        }),
      },
    },
    async (req) => ({ items: activities.actions(actorOf(req)) }),
  );

  app.post(
    '/activities',
    {
      config: { permission: 'activities.manage' },
      schema: {
        tags,
        summary: 'Define an activity over an agent action, with fixed and typed caller parameters',
        body: ActivityBody,
        response: withErrors({ 201: ActivityItem }),
      },
    },
    async (req, reply) => reply.code(201).send(activities.create(actorOf(req), input(req.body))),
  );

  app.put(
    '/activities/:id',
    {
      config: { permission: 'activities.manage' },
      schema: {
        tags,
        summary: 'Replace an admin-defined activity (built-ins cannot change; the name stays)',
        params: ActivityParams,
        body: ActivityBody,
        response: withErrors({ 200: ActivityItem }),
      },
    },
    async (req) => activities.update(actorOf(req), req.params.id, input(req.body)),
  );

  app.delete(
    '/activities/:id',
    {
      config: { permission: 'activities.manage' },
      schema: {
        tags,
        summary: 'Remove an admin-defined activity (jobs that ran it stay in the history)',
        params: ActivityParams,
        response: withErrors({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      activities.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
