import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, sampleSnapshot } from '../../../test/fixtures/samples.ts';
import { GENERATED_PATH, generateValidators } from '../scripts/gen-validators.ts';
import { decodeCollectorFrame } from './codec.ts';
import { type CollectorFrame, CollectorFrameSchemas } from './frames.ts';
import { collectorFrameChecks } from './generated/validators.ts';
import { checkSnapshot, explainCollectorFrame, explainSnapshot, quickDecodeCollectorFrame } from './lite.ts';
import { Snapshot } from './metrics.ts';

const frames: CollectorFrame[] = [
  { t: 'welcome', protocol: 1, hostId: 'h_1', hostName: 'web-1', lastSeq: 0, serverTime: 1, settings: {} },
  {
    t: 'welcome',
    protocol: 1,
    hostId: 'h_1',
    hostName: 'web-1',
    lastSeq: 41,
    serverTime: 1,
    settings: { intervalMs: 1000 },
  },
  { t: 'ack', seq: 42 },
  {
    t: 'job.start',
    jobId: 'j-1',
    action: 'ping',
    params: { target: '10.0.0.1', count: 3 },
    timeoutMs: 30_000,
  },
  { t: 'job.start', jobId: 'j:2', action: 'disk-usage', params: { all: true } },
  { t: 'job.cancel', jobId: 'j-1' },
  { t: 'error', code: 'REPLACED', message: 'a newer connection for web-1 took over' },
];

const typebox = new Map(
  Object.entries(CollectorFrameSchemas).map(([kind, schema]) => [kind, Compile(schema)]),
);
const typeboxSnapshot = Compile(Snapshot);

/** A valid frame with one field replaced, removed or added; often invalid, sometimes not. */
const mutatedFrame = fc
  .tuple(
    fc.constantFrom(...frames),
    fc.oneof(
      fc.constantFrom('t', 'seq', 'jobId', 'action', 'params', 'timeoutMs', 'hostName', 'settings', 'code'),
      fc.string({ maxLength: 12 }),
    ),
    fc.oneof(
      fc.jsonValue(),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.integer(),
      fc.double(),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
      fc.constant(undefined),
    ),
  )
  .map(([frame, key, value]) => {
    const copy: Record<string, unknown> = structuredClone(frame);
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  });

describe('generated validators', () => {
  it('are up to date with the TypeBox schemas (run `pnpm gen:validators` if not)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generateValidators());
  });

  it('cover every collector frame kind', () => {
    expect(Object.keys(collectorFrameChecks).sort()).toEqual(Object.keys(CollectorFrameSchemas).sort());
  });

  it.each(frames.map((f) => [f.t, f] as const))('accept a valid %s frame', (_t, frame) => {
    expect(collectorFrameChecks[frame.t]?.(frame)).toBe(true);
  });

  it('agree with TypeBox on mutated frames', () => {
    fc.assert(
      fc.property(mutatedFrame, (frame) => {
        // Each kind's check against every mutant, including frames of another kind.
        for (const [kind, check] of Object.entries(collectorFrameChecks)) {
          expect(check(frame)).toBe(typebox.get(kind)?.Check(frame));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('agree with TypeBox on string lengths counted in code points', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ unit: 'grapheme', maxLength: 300 }),
        ),
        (hostName) => {
          const frame = { ...frames[0], hostName };
          expect(collectorFrameChecks.welcome?.(frame)).toBe(typebox.get('welcome')?.Check(frame));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('agree with TypeBox on snapshots, valid and mutated', () => {
    expect(checkSnapshot(sampleSnapshot(1))).toBe(true);
    expect(checkSnapshot(fullSnapshot(2))).toBe(true);
    fc.assert(
      fc.property(
        fc.constantFrom(sampleSnapshot(1), fullSnapshot(2)),
        fc.constantFrom(
          'uptime',
          'cpu',
          'load',
          'memory',
          'swap',
          'net',
          'seq',
          'ts',
          'ports',
          'processes',
          'x',
        ),
        fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        (snapshot, key, value) => {
          const copy: Record<string, unknown> = structuredClone(snapshot);
          if (value === undefined) delete copy[key];
          else copy[key] = value;
          expect(checkSnapshot(copy)).toBe(typeboxSnapshot.Check(copy));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('lite decoder', () => {
  it('decodes like the main entry: same result or the same error code', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedFrame.map((f) => JSON.stringify(f)),
          fc.constantFrom(...frames).map((f) => JSON.stringify(f)),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const quick = quickDecodeCollectorFrame(text);
          const full = decodeCollectorFrame(text);
          if (full.ok) expect(quick).toEqual(full);
          else {
            expect(quick.ok).toBe(false);
            if (!quick.ok) expect(quick.error.code).toBe(full.error.code);
            if (!quick.ok && quick.error.code !== 'INVALID_FRAME') expect(quick).toEqual(full);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('explains a refused frame with the field, as the main entry does', async () => {
    const text = '{"t":"ack","seq":-1}';
    const quick = quickDecodeCollectorFrame(text);
    expect(quick.ok).toBe(false);
    const explained = await explainCollectorFrame(Buffer.from(text));
    const full = decodeCollectorFrame(text);
    expect(full.ok ? null : full.error).toEqual(explained);
    expect(explained?.message).toMatch(/invalid ack frame: seq/);
    expect(await explainCollectorFrame('{"t":"ack","seq":1}')).toBeNull();
  });

  it('explains a refused snapshot with the field', async () => {
    const snapshot = { ...sampleSnapshot(1), uptime: -1 };
    expect(checkSnapshot(snapshot)).toBe(false);
    expect(await explainSnapshot(snapshot)).toMatch(/uptime/);
    expect(await explainSnapshot(sampleSnapshot(1))).toBeNull();
  });
});
