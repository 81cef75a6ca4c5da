import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from '../error-body.ts';

type Part = 'querystring' | 'params';
const PARTS: ReadonlyArray<readonly [Part, 'query' | 'params']> = [
  ['querystring', 'query'],
  ['params', 'params'],
];

/** The numeric fields of a route's query or params schema. */
function numericFields(req: FastifyRequest, part: Part): string[] {
  const schema = req.routeOptions.schema?.[part] as
    | { properties?: Record<string, { type?: unknown }> }
    | undefined;
  return Object.entries(schema?.properties ?? {})
    .filter(([, s]) => s.type === 'integer' || s.type === 'number')
    .map(([name]) => name);
}

/**
 * Checks the request before the schema does what it cannot: Ajv coerces "Infinity" and "1e400"
 * to a number and then skips minimum/maximum for non-finite values, and fastify parses JSON
 * whatever charset the Content-Type names.
 */
export function installInputGuards(app: FastifyInstance): void {
  app.addHook('preValidation', async (req, reply) => {
    for (const [part, key] of PARTS) {
      const values = req[key] as Record<string, unknown> | undefined;
      for (const name of numericFields(req, part)) {
        const raw = values?.[name];
        if (typeof raw === 'string' && raw.trim() !== '' && !Number.isFinite(Number(raw))) {
          return reply
            .code(400)
            .send(
              errorBody(
                'VALIDATION_FAILED',
                `${part}.${name} must be a finite number, got "${raw.slice(0, 40)}"`,
              ),
            );
        }
      }
    }
    return undefined;
  });

  app.addHook('onRequest', async (req, reply) => {
    const type = req.headers['content-type'];
    if (!type || !/^\s*application\/(?:[\w.+-]+\+)?json\b/i.test(type)) return undefined;
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
    if (charset === undefined || /^utf-?8$/i.test(charset)) return undefined;
    return reply
      .code(415)
      .send(
        errorBody(
          'VALIDATION_FAILED',
          `JSON bodies must be utf-8; Content-Type names charset ${charset.slice(0, 40)}`,
        ),
      );
  });
}
