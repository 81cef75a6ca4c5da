/// <reference path="./snappyjs.d.ts" />
import { compress } from 'snappyjs';

/** One series of a remote-write request: its encoded labels (see encodeLabels), samples oldest first. */
export interface EncodedSeries {
  labels: Uint8Array;
  samples: [ts: number, value: number][];
}

// prometheus/prompb: WriteRequest{1: repeated TimeSeries}, TimeSeries{1: repeated Label,
// 2: repeated Sample}, Label{1: name, 2: value}, Sample{1: double value, 2: int64 timestamp}.
// Tags are (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const FIELD1_BYTES = 0x0a;
const FIELD2_BYTES = 0x12;
const FIELD1_DOUBLE = 0x09;
const FIELD2_VARINT = 0x10;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Little writer over a buffer sized in advance; numbers up to 2^53 (ms timestamps fit). */
class Out {
  readonly buf: Buffer;
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  byte(b: number): void {
    this.buf[this.at++] = b;
  }
  varint(n: number): void {
    while (n >= 128) {
      this.buf[this.at++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.at++] = n;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  string(s: string, len: number): void {
    this.at += this.buf.write(s, this.at, len, 'utf8');
  }
  double(v: number): void {
    this.buf.writeDoubleLE(v, this.at);
    this.at += 8;
  }
}

/**
 * A series' labels (sorted by name, `__name__` included) as the TimeSeries' repeated Label
 * fields. Encoded once per series and reused for every batch it appears in.
 */
export function encodeLabels(labels: readonly [string, string][]): Uint8Array {
  const parts = labels.map(([name, value]) => {
    const n = Buffer.byteLength(name);
    const v = Buffer.byteLength(value);
    const inner = 1 + varintSize(n) + n + 1 + varintSize(v) + v;
    return { name, value, n, v, inner };
  });
  const out = new Out(parts.reduce((sum, p) => sum + 1 + varintSize(p.inner) + p.inner, 0));
  for (const p of parts) {
    out.byte(FIELD1_BYTES);
    out.varint(p.inner);
    out.byte(FIELD1_BYTES);
    out.varint(p.n);
    out.string(p.name, p.n);
    out.byte(FIELD2_BYTES);
    out.varint(p.v);
    out.string(p.value, p.v);
  }
  return out.buf;
}

/**
 * A Prometheus remote-write 1.0 body: the `WriteRequest` protobuf, snappy block-compressed.
 * Four small messages, so a hand encoder (about as long as a .proto file) rather than a
 * generated one; the engines in the tests are its reference decoders.
 */
export function encodeWriteRequest(series: readonly EncodedSeries[]): Uint8Array {
  let size = 0;
  const inner: number[] = [];
  for (const s of series) {
    let n = s.labels.length;
    for (const [ts] of s.samples) n += 12 + varintSize(ts);
    inner.push(n);
    size += 1 + varintSize(n) + n;
  }
  const out = new Out(size);
  series.forEach((s, i) => {
    out.byte(FIELD1_BYTES);
    out.varint(inner[i]!);
    out.bytes(s.labels);
    for (const [ts, value] of s.samples) {
      out.byte(FIELD2_BYTES);
      out.varint(9 + 1 + varintSize(ts));
      out.byte(FIELD1_DOUBLE);
      out.double(value);
      out.byte(FIELD2_VARINT);
      out.varint(ts);
    }
  });
  return compress(out.buf);
}
