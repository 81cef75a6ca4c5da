import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fullSnapshot,
  sampleCollectorFrames,
  sampleHello,
  sampleSnapshot,
} from '../../../test/fixtures/samples.ts';
import {
  type DecodeResult,
  decodeAgentFrame,
  decodeCollectorFrame,
  encodeFrame,
  errorFrame,
  explain,
} from './codec.ts';
import type { AgentFrame, CollectorFrame } from './frames.ts';
import { Limits } from './limits.ts';
import { Snapshot } from './metrics.ts';

const validAgentFrames: AgentFrame[] = [
  sampleHello(),
  { t: 'metrics', snapshot: sampleSnapshot(1) },
  { t: 'metrics', snapshot: fullSnapshot(2) },
  { t: 'metrics.batch', snapshots: [sampleSnapshot(3), fullSnapshot(4)] },
  { t: 'job.output', jobId: 'j-1', stream: 'stdout', data: 'PING 127.0.0.1\n' },
  {
    t: 'job.output',
    jobId: 'j-1',
    parts: [
      { stream: 'stdout', data: 'first\n' },
      { stream: 'stderr', data: 'second\n' },
    ],
  },
  {
    t: 'job.end',
    jobId: 'j-1',
    exitCode: 0,
    signal: null,
    durationMs: 1200,
    truncated: false,
    timedOut: false,
    cancelled: false,
  },
  {
    t: 'job.end',
    jobId: 'j-2',
    exitCode: null,
    signal: 'SIGKILL',
    durationMs: 30000,
    truncated: true,
    timedOut: true,
    cancelled: false,
    error: 'timed out',
  },
  { t: 'job.rejected', jobId: 'j-3', code: 'ACTION_NOT_ALLOWED', reason: 'reboot is not in actions.allow' },
  { t: 'error', code: 'INTERNAL', message: 'outbox failure' },
];

const validCollectorFrames: CollectorFrame[] = sampleCollectorFrames();

function expectError(result: DecodeResult<AgentFrame | CollectorFrame>, code: string, text: string | RegExp) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(code);
  expect(result.error.message).toMatch(text);
}

describe('agent frames', () => {
  it.each(validAgentFrames.map((f) => [f.t, f] as const))('accepts a valid %s frame', (_t, frame) => {
    const result = decodeAgentFrame(encodeFrame(frame));
    expect(result).toEqual({ ok: true, frame });
  });

  it('accepts Buffer and chunked input', () => {
    const text = encodeFrame({ t: 'metrics', snapshot: sampleSnapshot(7) });
    expect(decodeAgentFrame(Buffer.from(text)).ok).toBe(true);
    const half = Math.floor(text.length / 2);
    expect(decodeAgentFrame([Buffer.from(text.slice(0, half)), Buffer.from(text.slice(half))]).ok).toBe(true);
  });

  it('refuses a collector-only kind from an agent', () => {
    expectError(
      decodeAgentFrame('{"t":"ack","seq":1}'),
      'UNKNOWN_FRAME',
      /unknown frame kind "ack" from agent; expected one of hello/,
    );
  });

  it.each([
    ['not JSON', '{"t":', 'INVALID_JSON', /not valid JSON/],
    ['an array', '[1,2]', 'INVALID_FRAME', /JSON object/],
    ['null', 'null', 'INVALID_FRAME', /JSON object/],
    ['a missing t', '{"seq":1}', 'INVALID_FRAME', /no "t" field/],
    ['a numeric t', '{"t":5}', 'INVALID_FRAME', /t must be a string/],
    ['an unknown t', '{"t":"metrix"}', 'UNKNOWN_FRAME', /"metrix"/],
    ['a prototype key as t', '{"t":"toString"}', 'UNKNOWN_FRAME', /"toString"/],
  ])('refuses %s', (_name, text, code, message) => {
    expectError(decodeAgentFrame(text), code, message);
  });

  it('names the failing field', () => {
    const snap = sampleSnapshot(1) as unknown as { cpu: { total: unknown } };
    snap.cpu.total = 'high';
    expectError(
      decodeAgentFrame(JSON.stringify({ t: 'metrics', snapshot: snap })),
      'INVALID_FRAME',
      /snapshot\.cpu\.total must be number/,
    );
  });

  it.each([
    ['negative seq', { seq: -1 }, /snapshot\.seq/],
    ['fractional seq', { seq: 1.5 }, /snapshot\.seq must be integer/],
    ['zero seq', { seq: 0 }, /snapshot\.seq/],
    [
      'cpu over 100',
      { cpu: { total: 101, user: 0, system: 0, iowait: 0, steal: 0, cores: [] } },
      /snapshot\.cpu\.total/,
    ],
    [
      'NaN memory (serialized as null)',
      { memory: { total: Number.NaN, used: 0, available: 0, buffers: 0, cached: 0 } },
      /snapshot\.memory\.total/,
    ],
    [
      'Infinity load (serialized as null)',
      { load: { l1: Number.POSITIVE_INFINITY, l5: 0, l15: 0 } },
      /snapshot\.load\.l1/,
    ],
    ['unknown field', { extra: 1 } as object, /unknown field "extra"/],
    [
      'too many cores',
      {
        cpu: {
          total: 1,
          user: 0,
          system: 0,
          iowait: 0,
          steal: 0,
          cores: new Array(Limits.cores + 1).fill(1),
        },
      },
      /cores/,
    ],
    [
      'a name beyond its limit',
      {
        net: [
          {
            iface: 'x'.repeat(Limits.name + 1),
            rxBps: 0,
            txBps: 0,
            rxPackets: 0,
            txPackets: 0,
            rxErrors: 0,
            txErrors: 0,
          },
        ],
      },
      /iface/,
    ],
    ['port out of range', { ports: [{ proto: 'tcp', address: '0.0.0.0', port: 70000 }] }, /port/],
  ])('refuses a snapshot with %s', (_name, patch, message) => {
    const frame = { t: 'metrics', snapshot: { ...sampleSnapshot(1), ...patch } };
    expectError(decodeAgentFrame(JSON.stringify(frame)), 'INVALID_FRAME', message);
  });

  it('refuses a missing required field, naming it', () => {
    const { memory: _memory, ...rest } = sampleSnapshot(1);
    expectError(
      decodeAgentFrame(JSON.stringify({ t: 'metrics', snapshot: rest })),
      'INVALID_FRAME',
      /memory/,
    );
  });

  it('refuses an empty batch and one beyond the limit', () => {
    expectError(decodeAgentFrame('{"t":"metrics.batch","snapshots":[]}'), 'INVALID_FRAME', /snapshots/);
    const big = {
      t: 'metrics.batch',
      snapshots: Array.from({ length: Limits.batchSnapshots + 1 }, (_, i) => sampleSnapshot(i + 1)),
    };
    expectError(
      decodeAgentFrame(JSON.stringify(big), 10 * Limits.frameBytes),
      'INVALID_FRAME',
      /snapshots must not have more than 500/,
    );
  });

  it('refuses frames over the size limit before parsing them', () => {
    const huge = JSON.stringify({
      t: 'job.output',
      jobId: 'j',
      stream: 'stdout',
      data: 'x'.repeat(Limits.frameBytes),
    });
    expectError(decodeAgentFrame(huge), 'FRAME_TOO_LARGE', /exceeds 1048576/);
    expectError(decodeAgentFrame('{"t":"ack"}', 5), 'FRAME_TOO_LARGE', /11 bytes exceeds 5/);
  });

  it.each([
    ['hello with protocol 0', { ...sampleHello(), protocol: 0 }, /protocol/],
    ['hello without system', { ...sampleHello(), system: undefined }, /system/],
    [
      'hello with a bad action name',
      sampleHello({ actions: [{ name: 'Rm -rf', dangerous: true, params: [] }] }),
      /actions\.0\.name/,
    ],
    ['job.output on an unknown stream', { t: 'job.output', jobId: 'j', stream: 'stdin', data: '' }, /stream/],
    [
      'job.output with an oversized chunk',
      { t: 'job.output', jobId: 'j', stream: 'stdout', data: 'x'.repeat(Limits.outputChunk + 1) },
      /data/,
    ],
    ['job.output with no parts', { t: 'job.output', jobId: 'j', parts: [] }, /parts/],
    [
      'job.output with both forms at once',
      { t: 'job.output', jobId: 'j', stream: 'stdout', data: 'x', parts: [{ stream: 'stdout', data: 'x' }] },
      /./,
    ],
    [
      'job.output with too many parts',
      {
        t: 'job.output',
        jobId: 'j',
        parts: Array.from({ length: Limits.outputParts + 1 }, () => ({ stream: 'stdout', data: 'x' })),
      },
      /parts/,
    ],
    ['job.output with a bad job id', { t: 'job.output', jobId: 'j 1;', stream: 'stdout', data: '' }, /jobId/],
    [
      'job.end without flags',
      { t: 'job.end', jobId: 'j', exitCode: 0, signal: null, durationMs: 1 },
      /truncated|timedOut|cancelled/,
    ],
    [
      'job.rejected with an unknown code',
      { t: 'job.rejected', jobId: 'j', code: 'NOPE', reason: '' },
      /code/,
    ],
    ['error with an unknown code', { t: 'error', code: 'NOPE', message: '' }, /code/],
  ])('refuses %s', (_name, frame, message) => {
    expectError(decodeAgentFrame(JSON.stringify(frame)), 'INVALID_FRAME', message);
  });
});

describe('collector frames', () => {
  it.each(validCollectorFrames.map((f) => [f.t, f] as const))('accepts a valid %s frame', (_t, frame) => {
    expect(decodeCollectorFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
  });

  it('refuses an agent-only kind from the collector', () => {
    expectError(decodeCollectorFrame(encodeFrame(sampleHello())), 'UNKNOWN_FRAME', /"hello" from collector/);
  });

  it.each([
    ['ack with a negative seq', { t: 'ack', seq: -1 }, /seq/],
    ['ack with a fractional seq', { t: 'ack', seq: 2.5 }, /seq must be integer/],
    ['ack beyond a safe integer', { t: 'ack', seq: 2 ** 60 }, /seq/],
    [
      'welcome with a too-short interval',
      {
        t: 'welcome',
        protocol: 1,
        hostId: 'h',
        hostName: 'x',
        lastSeq: 0,
        serverTime: 0,
        settings: { intervalMs: 10 },
      },
      /settings\.intervalMs/,
    ],
    [
      'job.start with a shell-ish action',
      { t: 'job.start', jobId: 'j', action: 'sh -c', params: {} },
      /action/,
    ],
    [
      'job.start with an object param',
      { t: 'job.start', jobId: 'j', action: 'ping', params: { target: { a: 1 } } },
      /params/,
    ],
    [
      'job.start with a tiny timeout',
      { t: 'job.start', jobId: 'j', action: 'ping', params: {}, timeoutMs: 1 },
      /timeoutMs/,
    ],
    ['job.cancel without a job id', { t: 'job.cancel' }, /jobId/],
  ])('refuses %s', (_name, frame, message) => {
    expectError(decodeCollectorFrame(JSON.stringify(frame)), 'INVALID_FRAME', message);
  });
});

describe('properties', () => {
  it('never throws on arbitrary input, and always answers with a catalog code', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          for (const decode of [decodeAgentFrame, decodeCollectorFrame]) {
            const result = decode(text);
            if (!result.ok)
              expect(['INVALID_JSON', 'INVALID_FRAME', 'UNKNOWN_FRAME', 'FRAME_TOO_LARGE']).toContain(
                result.error.code,
              );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips any valid sequence number and refuses every invalid one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.double()), (seq) => {
        const ok = Number.isSafeInteger(seq) && seq >= 0;
        expect(decodeCollectorFrame(JSON.stringify({ t: 'ack', seq })).ok).toBe(ok);
      }),
      { numRuns: 500 },
    );
  });

  it('a snapshot with a mutated field either validates or names what is wrong', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uptime', 'cpu', 'load', 'memory', 'swap', 'net', 'seq', 'ts'),
        fc.jsonValue(),
        (key, value) => {
          const snap = { ...sampleSnapshot(1), [key]: value };
          const problem = explain(Snapshot, snap);
          if (problem !== null) expect(problem).toMatch(key);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('errorFrame', () => {
  it('truncates long messages to the text limit so the frame stays valid', () => {
    const frame = errorFrame('INTERNAL', 'x'.repeat(5_000));
    expect(decodeAgentFrame(encodeFrame(frame)).ok).toBe(true);
  });
});
