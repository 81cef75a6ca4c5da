import type { ErrorCode } from './errors.ts';
import type { AgentFrame, CollectorFrame, ErrorFrame } from './frames.ts';
import { Limits } from './limits.ts';

// The protocol's plumbing without the TypeBox runtime: framing, JSON, kinds and the error
// messages. codec.ts plugs TypeBox validators in; lite.ts the generated ones.

/** The protocol version this code speaks. `hello.protocol` carries it. */
export const PROTOCOL_VERSION = 1;

/** Why a frame was refused; `code` is one of the protocol codes in the catalog. */
export interface FrameError {
  code: Extract<ErrorCode, 'FRAME_TOO_LARGE' | 'INVALID_JSON' | 'UNKNOWN_FRAME' | 'INVALID_FRAME'>;
  message: string;
}

export type DecodeResult<F> = { ok: true; frame: F } | { ok: false; error: FrameError };

/** One frame kind's validator: a fast check, and a message naming the failing field. */
export interface FrameCheck {
  check(value: unknown): boolean;
  describe(value: unknown): string;
}

export function buildDecoder<F>(checkers: ReadonlyMap<string, FrameCheck>, side: string) {
  const kinds = [...checkers.keys()].join(', ');

  return function decode(
    data: string | Buffer | ArrayBuffer | Buffer[],
    maxBytes: number = Limits.frameBytes,
  ): DecodeResult<F> {
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
    const checker = checkers.get(t);
    if (!checker) {
      return fail<F>(
        'UNKNOWN_FRAME',
        `unknown frame kind ${JSON.stringify(t.slice(0, 64))} from ${side}; expected one of ${kinds}`,
      );
    }
    if (!checker.check(value))
      return fail<F>('INVALID_FRAME', `invalid ${t} frame: ${checker.describe(value)}`);
    return { ok: true, frame: value as F };
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

/** Serializes a frame. Types keep senders honest; receivers validate anyway. */
export function encodeFrame(frame: AgentFrame | CollectorFrame): string {
  return JSON.stringify(frame);
}

export function errorFrame(code: ErrorFrame['code'], message: string): ErrorFrame {
  return { t: 'error', code, message: message.slice(0, Limits.text) };
}
