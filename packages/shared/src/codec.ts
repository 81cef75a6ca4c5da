import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ErrorCode } from './errors.ts';
import {
  type AgentFrame,
  AgentFrameSchemas,
  type CollectorFrame,
  CollectorFrameSchemas,
  type ErrorFrame,
} from './frames.ts';
import { Limits } from './limits.ts';

/** Why a frame was refused; `code` is one of the protocol codes in the catalog. */
export interface FrameError {
  code: Extract<ErrorCode, 'FRAME_TOO_LARGE' | 'INVALID_JSON' | 'UNKNOWN_FRAME' | 'INVALID_FRAME'>;
  message: string;
}

export type DecodeResult<F> = { ok: true; frame: F } | { ok: false; error: FrameError };

type Registry = Record<string, TSchema>;
type Checker = { check(value: unknown): boolean; describe(value: unknown): string };

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

function buildDecoder<F>(registry: Registry, side: string) {
  const checkers = new Map(Object.entries(registry).map(([kind, schema]) => [kind, compileChecker(schema)]));
  const kinds = [...checkers.keys()].join(', ');

  return function decode(
    data: string | Buffer | ArrayBuffer | Buffer[],
    maxBytes: number = Limits.frameBytes,
  ) {
    const text = toText(data);
    if (Buffer.byteLength(text, 'utf8') > maxBytes) {
      return fail<F>(
        'FRAME_TOO_LARGE',
        `frame of ${Buffer.byteLength(text, 'utf8')} bytes exceeds ${maxBytes}`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return fail<F>('INVALID_JSON', `frame is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return fail<F>('INVALID_FRAME', 'frame must be a JSON object with a "t" field');
    }
    const t = (value as { t?: unknown }).t;
    if (t === undefined) return fail<F>('INVALID_FRAME', 'frame has no "t" field');
    if (typeof t !== 'string') return fail<F>('INVALID_FRAME', 't must be a string');
    const checker = Object.hasOwn(registry, t) ? checkers.get(t) : undefined;
    if (!checker) {
      return fail<F>(
        'UNKNOWN_FRAME',
        `unknown frame kind ${JSON.stringify(t.slice(0, 64))} from ${side}; expected one of ${kinds}`,
      );
    }
    if (!checker.check(value))
      return fail<F>('INVALID_FRAME', `invalid ${t} frame: ${checker.describe(value)}`);
    return { ok: true, frame: value as F } as DecodeResult<F>;
  };
}

function toText(data: string | Buffer | ArrayBuffer | Buffer[]): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function fail<F>(code: FrameError['code'], message: string): DecodeResult<F> {
  return { ok: false, error: { code, message } };
}

/** Decodes and validates a frame the collector received from an agent. */
export const decodeAgentFrame = buildDecoder<AgentFrame>(AgentFrameSchemas, 'agent');

/** Decodes and validates a frame the agent received from the collector. */
export const decodeCollectorFrame = buildDecoder<CollectorFrame>(CollectorFrameSchemas, 'collector');

/** Serializes a frame. Types keep senders honest; receivers validate anyway. */
export function encodeFrame(frame: AgentFrame | CollectorFrame): string {
  return JSON.stringify(frame);
}

export function errorFrame(code: ErrorFrame['code'], message: string): ErrorFrame {
  return { t: 'error', code, message: message.slice(0, Limits.text) };
}

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
