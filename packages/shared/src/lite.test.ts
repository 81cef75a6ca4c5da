import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, sampleCollectorFrames, sampleSnapshot } from '../../../test/fixtures/samples.ts';
import { GENERATED_PATH, generateValidators } from '../scripts/gen-validators.ts';
import { decodeCollectorFrame, explain } from './codec.ts';
import { type CollectorFrame, CollectorFrameSchemas } from './frames.ts';
import { collectorFrameChecks } from './generated/validators.ts';
import { checkSnapshot, decodeCollectorFrameLite, explainSnapshot } from './lite.ts';
import { Snapshot } from './metrics.ts';

const frames: CollectorFrame[] = sampleCollectorFrames();

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

/**
 * TypeBox lists at most 8 errors and picks the deepest of those, so past 8 its explanation is
 * cut short ("does not match the schema", or a shallower field); explain.ts looks at them all.
 */
const TYPEBOX_MAX_ERRORS = 8;

/** True when TypeBox's error list for this frame text is cut at its maximum. */
function truncated(text: string): boolean {
  const value = JSON.parse(text) as { t?: unknown } | null;
  const validator = typeof value?.t === 'string' ? typebox.get(value.t) : undefined;
  return (validator?.Errors(value).length ?? 0) >= TYPEBOX_MAX_ERRORS;
}

/** Every place in a JSON value: the keys leading to it. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

/** Values that break one schema keyword or another (types, bounds, lengths, patterns). */
const breaking = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 0, 1.5, 1e12, -1e12, '', 'x'.repeat(2_000), [], {}, null, true, 'Ab c/%'),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.integer(), { maxLength: 80 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), {
    maxKeys: 40,
  }),
);

/**
 * A valid value with one place, at any depth, replaced, removed, given an extra key, or grown
 * (an array to 1,100 copies of its first item, a string to 5,000 characters).
 */
function mutatedDeep<T>(valid: readonly T[], extra: fc.Arbitrary<unknown> = breaking) {
  return fc
    .tuple(
      fc.constantFrom(...valid),
      fc.nat(),
      fc.constantFrom('replace', 'delete', 'add', 'grow'),
      extra,
      fc.string({ maxLength: 6 }),
    )
    .map(([original, pick, how, value, key]) => {
      const copy = structuredClone(original) as unknown;
      const all = paths(copy);
      const path = all[pick % all.length] as (string | number)[];
      if (path.length === 0) return how === 'replace' ? value : copy;
      let parent = copy as Record<string | number, unknown>;
      for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
      const last = path[path.length - 1] as string | number;
      const here = parent[last];
      if (how === 'grow' && Array.isArray(here) && here.length > 0)
        parent[last] = Array.from({ length: 1_100 }, () => structuredClone(here[0]));
      else if (how === 'grow' && typeof here === 'string') parent[last] = here.padEnd(5_000, 'x');
      else if (how === 'replace') parent[last] = value;
      else if (how === 'delete' && !Array.isArray(parent)) delete parent[last];
      else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last]))
        (parent[last] as Record<string, unknown>)[`${key}_`] = value;
      return copy;
    });
}

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
  it('decodes like the main entry: the same result, error code and message', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedFrame.map((f) => JSON.stringify(f)),
          mutatedDeep(frames).map((f) => JSON.stringify(f)),
          fc.constantFrom(...frames).map((f) => JSON.stringify(f)),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const lite = decodeCollectorFrameLite(text);
          const full = decodeCollectorFrame(text);
          if (full.ok || full.error.code !== 'INVALID_FRAME' || !truncated(text)) expect(lite).toEqual(full);
          else expect(lite).toMatchObject({ ok: false, error: { code: 'INVALID_FRAME' } });
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('names the failing field of a refused frame', () => {
    const refused = decodeCollectorFrameLite(Buffer.from('{"t":"ack","seq":-1}'));
    expect(refused).toEqual({
      ok: false,
      error: { code: 'INVALID_FRAME', message: 'invalid ack frame: seq must be >= 0' },
    });
    const nested = decodeCollectorFrameLite(
      '{"t":"job.start","jobId":"j-1","action":"ping","params":{"count":[1]}}',
    );
    expect(nested.ok ? '' : nested.error.message).toBe(
      'invalid job.start frame: params.count must be string',
    );
    expect(decodeCollectorFrameLite('{"t":"ack","seq":1}')).toEqual({
      ok: true,
      frame: { t: 'ack', seq: 1 },
    });
  });

  it('explains a refused snapshot as TypeBox does, at any depth', () => {
    expect(explainSnapshot({ ...sampleSnapshot(1), uptime: -1 })).toBe('uptime must be >= 0');
    expect(explainSnapshot(sampleSnapshot(1))).toBeNull();
    expect(explainSnapshot(fullSnapshot(2))).toBeNull();
    fc.assert(
      fc.property(
        mutatedDeep(
          [sampleSnapshot(1), fullSnapshot(2)],
          fc.oneof(breaking, fc.constantFrom(Number.NaN, Infinity)),
        ),
        (snapshot) => {
          expect(checkSnapshot(snapshot)).toBe(typeboxSnapshot.Check(snapshot));
          if (typeboxSnapshot.Errors(snapshot).length < TYPEBOX_MAX_ERRORS)
            expect(explainSnapshot(snapshot)).toBe(explain(Snapshot, snapshot));
          else expect(explainSnapshot(snapshot)).toMatch(/^\S+ /);
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
