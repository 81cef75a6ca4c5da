// @pantau/shared/lite: what the agent needs at run time, without the TypeBox runtime (about
// 20 MB of memory in a process). Frames from the collector and outgoing snapshots are checked
// by validators generated ahead of time from the TypeBox schemas (generated/validators.ts);
// only when a check fails is the full TypeBox validator loaded, to name the failing field.
// The types are the same as in the main entry.
import type { CollectorFrame } from './frames.ts';
import { collectorFrameChecks, checkSnapshot as generatedSnapshotCheck } from './generated/validators.ts';
import { buildDecoder, type DecodeResult, type FrameError } from './wire.ts';

export * from './actions.ts';
export * from './duration.ts';
export * from './errors.ts';
export type * from './frames.ts';
export * from './limits.ts';
export type * from './metrics.ts';
export { type DecodeResult, encodeFrame, errorFrame, type FrameError, PROTOCOL_VERSION } from './wire.ts';

type Data = string | Buffer | ArrayBuffer | Buffer[];

const quick = buildDecoder<CollectorFrame>(
  new Map(
    Object.entries(collectorFrameChecks).map(([kind, check]) => [
      kind,
      { check, describe: () => 'does not match the schema' },
    ]),
  ),
  'collector',
);

/**
 * Decodes and validates a frame the agent received from the collector, like the main entry's
 * `decodeCollectorFrame`, with the same result for a valid frame and the same error codes. A
 * frame that fails its schema gets a generic message here; `explainCollectorFrame` names the
 * field.
 */
export function quickDecodeCollectorFrame(data: Data, maxBytes?: number): DecodeResult<CollectorFrame> {
  return quick(data, maxBytes);
}

/** The main entry's error for a refused frame (naming the failing field); loads TypeBox. */
export async function explainCollectorFrame(data: Data, maxBytes?: number): Promise<FrameError | null> {
  const { decodeCollectorFrame } = await import('./codec.ts');
  const decoded = decodeCollectorFrame(data, maxBytes);
  return decoded.ok ? null : decoded.error;
}

/** True when a value matches the Snapshot schema (generated check, no TypeBox). */
export function checkSnapshot(value: unknown): boolean {
  return generatedSnapshotCheck(value);
}

/** Why a value fails the Snapshot schema, naming the field, or null; loads TypeBox. */
export async function explainSnapshot(value: unknown): Promise<string | null> {
  const [{ explain }, { Snapshot }] = await Promise.all([import('./codec.ts'), import('./metrics.ts')]);
  return explain(Snapshot, value);
}
