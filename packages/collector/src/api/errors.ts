import { type ErrorCode, isErrorCode, PantauError } from '@pantau/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { errorBody } from '../error-body.ts';
import { CSRF_ERROR_CODES, CSRF_MESSAGE } from '../session/csrf.ts';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable code from the shared catalog, e.g. VALIDATION_FAILED' }),
      message: Type.String({ description: 'what went wrong, for people' }),
    }),
  },
  { description: 'every 4xx and 5xx answer has this shape' },
);

/**
 * Where a schema carries the domain's wording of its pattern (api/schemas.ts builds host names and
 * labels from fleet/): a value failing that pattern is refused in those words, not Ajv's.
 * `$comment` because Ajv's strict mode accepts no keyword of our own.
 */
export const RULE = '$comment';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'VALIDATION_FAILED',
  415: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  503: 'SHUTTING_DOWN',
};

/** One error shape everywhere: `{ "error": { "code", "message" } }` with codes from the shared catalog. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | PantauError, req, reply) => {
    if (err instanceof PantauError) {
      // A limit that knows when it lifts says so, as HTTP clients expect.
      const retry = err.details?.retryAfterSeconds;
      if (typeof retry === 'number') reply.header('retry-after', String(retry));
      return reply.code(err.status).send(errorBody(err.code, err.message));
    }
    if (CSRF_ERROR_CODES.has(err.code)) return reply.code(403).send(errorBody('FORBIDDEN', CSRF_MESSAGE));
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const path = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '';
      const allowed = allowedValues(err.validation, first?.instancePath);
      // Ajv's verbose errors carry the failing schema, and a refused key its name.
      const failed = first as { parentSchema?: Record<string, unknown>; propertyName?: unknown } | undefined;
      const rule = failed?.parentSchema?.[RULE];
      const key = failed?.propertyName;
      const extra =
        typeof rule === 'string' && first?.keyword === 'pattern'
          ? `${typeof key === 'string' ? ` key "${key.slice(0, 64)}"` : ''} ${rule}`
          : first?.keyword === 'additionalProperties'
            ? ` has unknown field "${(first.params as { additionalProperty: string }).additionalProperty}"`
            : allowed
              ? ` must be one of ${allowed}`
              : ` ${first?.message ?? 'is invalid'}`;
      return reply
        .code(400)
        .send(errorBody('VALIDATION_FAILED', `${where}${path ? `.${path}` : ''}${extra}`));
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code = isErrorCode(err.code) ? err.code : (BY_STATUS[status] ?? 'VALIDATION_FAILED');
      return reply.code(status).send(errorBody(code, err.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('INTERNAL'));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)),
  );
}

/** A union of literals fails with one `const` error per choice; name the choices instead. */
function allowedValues(
  errors: NonNullable<FastifyError['validation']>,
  path: string | undefined,
): string | undefined {
  const here = errors.filter((e) => e.instancePath === path);
  const values = here.flatMap((e) =>
    e.keyword === 'const'
      ? [(e.params as { allowedValue: unknown }).allowedValue]
      : e.keyword === 'enum'
        ? (e.params as { allowedValues: unknown[] }).allowedValues
        : [],
  );
  return values.length > 0 ? values.map((v) => JSON.stringify(v)).join(', ') : undefined;
}

const ROUTER_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'the URL is malformed (bad percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than 100 characters',
};

/** Errors the router raises before any route runs: same shape, and the URL is not echoed back. */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 400;
  void reply
    .code(status)
    .send(errorBody('VALIDATION_FAILED', ROUTER_MESSAGES[err.code] ?? 'the request cannot be routed'));
}
