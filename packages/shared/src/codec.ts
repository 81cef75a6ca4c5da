import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { type AgentFrame, AgentFrameSchemas, type CollectorFrame, CollectorFrameSchemas } from './frames.ts';
import { buildDecoder, type FrameCheck } from './wire.ts';

export { type DecodeResult, encodeFrame, errorFrame, type FrameError } from './wire.ts';

type Registry = Record<string, TSchema>;
type Checker = FrameCheck;

/** Compiles a schema once into a fast check plus a message that names the first failing field. */
export function compileChecker(schema: TSchema): Checker {
  const validator = Compile(schema);
  return {
    check: (value) => validator.Check(value),
    describe(value) {
      const errors = validator.Errors(value);
      // The deepest error is the most specific: "/snapshot/cpu/total must be number" beats "/snapshot".
      const first = errors.reduce<(typeof errors)[number] | undefined>(
        (best, e) =>
          e.keyword !== 'boolean' && (!best || e.instancePath.length > best.instancePath.length) ? e : best,
        undefined,
      );
      if (!first) return 'does not match the schema';
      const field = first.instancePath === '' ? 'frame' : first.instancePath.slice(1).replaceAll('/', '.');
      if (first.keyword === 'additionalProperties') {
        const extra = (first.params as { additionalProperties: string[] }).additionalProperties;
        return `${field} has unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}`;
      }
      return `${field} ${first.message}`;
    },
  };
}

function decoderFor<F>(registry: Registry, side: string) {
  return buildDecoder<F>(
    new Map(Object.entries(registry).map(([kind, schema]) => [kind, compileChecker(schema)])),
    side,
  );
}

/** Decodes and validates a frame the collector received from an agent. */
export const decodeAgentFrame = decoderFor<AgentFrame>(AgentFrameSchemas, 'agent');

/** Decodes and validates a frame the agent received from the collector. */
export const decodeCollectorFrame = decoderFor<CollectorFrame>(CollectorFrameSchemas, 'collector');

const checkerCache = new WeakMap<TSchema, Checker>();

/** Validates any shared schema (e.g. one snapshot) and returns a message naming the field, or null. */
export function validate<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return explain(schema, value) === null;
}

export function explain(schema: TSchema, value: unknown): string | null {
  let checker = checkerCache.get(schema);
  if (!checker) {
    checker = compileChecker(schema);
    checkerCache.set(schema, checker);
  }
  return checker.check(value) ? null : checker.describe(value);
}
