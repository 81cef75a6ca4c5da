import { uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { encodeLabels, encodeWriteRequest } from './encode.ts';

describe('encodeWriteRequest', () => {
  it('writes the prompb WriteRequest bytes, snappy-compressed', () => {
    const labels = encodeLabels([['__name__', 'a']]);
    const body = Buffer.from(uncompress(encodeWriteRequest([{ labels, samples: [[1, 0.5]] }])));
    const label = '0a0d0a085f5f6e616d655f5f120161'; // Label{name: "__name__", value: "a"}
    const sample = '120b09000000000000e03f1001'; // Sample{value: 0.5, timestamp: 1}
    expect(body.toString('hex')).toBe(`0a1c${label}${sample}`);
  });

  it('encodes millisecond timestamps beyond 32 bits and UTF-8 label values', () => {
    const ts = 1_765_000_000_123;
    const labels = encodeLabels([
      ['__name__', 'm'],
      ['host', 'wéb-1'],
    ]);
    const body = Buffer.from(uncompress(encodeWriteRequest([{ labels, samples: [[ts, -2]] }])));
    expect(body.includes(Buffer.from('wéb-1'))).toBe(true);
    // The timestamp is the varint after the sample's 0x10 tag, at the very end.
    const at = body.lastIndexOf(0x10) + 1;
    let value = 0;
    let scale = 1;
    for (let i = at; i < body.length; i++) {
      value += (body[i]! & 0x7f) * scale;
      scale *= 128;
    }
    expect(value).toBe(ts);
    expect(body.readDoubleLE(at - 9)).toBe(-2);
  });
});
