// @pantau/shared/lite: what the agent needs at run time, without the TypeBox runtime (a
// process loading it grows by megabytes, and the agent's single-file bundle by 450 KB of source
// that V8 keeps). Frames from the collector and outgoing snapshots are checked by validators
// generated ahead of time from the TypeBox schemas (generated/validators.ts); when a check
// fails, explain.ts walks the same schemas, written out as JSON, to name the failing field in
// TypeBox's words. The types are the same as in the main entry.
import { explainJson } from './explain.ts';
import type { CollectorFrame } from './frames.ts';
import {
  collectorFrameChecks,
  collectorFrameJsonSchemas,
  checkSnapshot as generatedSnapshotCheck,
  snapshotJsonSchema,
} from './generated/validators.ts';
import { buildDecoder, type DecodeResult } from './wire.ts';

export * from './actions.ts';
export * from './duration.ts';
export * from './errors.ts';
export type * from './frames.ts';
export * from './freeze.ts';
export * from './limits.ts';
export type * from './metrics.ts';
export * from './pattern.ts';
export * from './timers.ts';
export { type DecodeResult, encodeFrame, errorFrame, type FrameError, PROTOCOL_VERSION } from './wire.ts';

type Data = string | Buffer | ArrayBuffer | Buffer[];

const decode = buildDecoder<CollectorFrame>(
  new Map(
    Object.entries(collectorFrameChecks).map(([kind, check]) => {
      const schema = collectorFrameJsonSchemas[kind];
      if (!schema) throw new Error(`generated validators: no JSON schema for ${kind}`);
      return [
        kind,
        { check, describe: (value) => explainJson(schema, value) ?? 'does not match the schema' },
      ];
    }),
  ),
  'collector',
);

/**
 * Decodes and validates a frame the agent received from the collector, like the main entry's
 * `decodeCollectorFrame`: the same result for a valid frame, the same error codes, and a refused
 * frame's message names the failing field as the main entry's does.
 */
export function decodeCollectorFrameLite(data: Data, maxBytes?: number): DecodeResult<CollectorFrame> {
  return decode(data, maxBytes);
}

/** True when a value matches the Snapshot schema (generated check, no TypeBox). */
export function checkSnapshot(value: unknown): boolean {
  return generatedSnapshotCheck(value);
}

/** Why a value fails the Snapshot schema, naming the field, or null. */
export function explainSnapshot(value: unknown): string | null {
  return explainJson(snapshotJsonSchema, value);
}
