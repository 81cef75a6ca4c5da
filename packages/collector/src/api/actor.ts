import { PantauError } from '@pantau/shared';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../access/actor.ts';

/** The actor behind an authenticated API request (a user's token carries that user); routes hand it to commands. */
export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  if (!p) throw new PantauError('UNAUTHORIZED', 'this route needs an authenticated caller');
  return p.caller;
}
