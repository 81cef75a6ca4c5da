/// <reference path="./snappyjs.d.ts" />
import protobuf from 'protobufjs/minimal.js';
import { compress } from 'snappyjs';

/** One series of a remote-write request: labels sorted by name (`__name__` included), samples oldest first. */
export interface TimeSeries {
  labels: [string, string][];
  samples: [ts: number, value: number][];
}

// Field tags of prometheus/prompb (types.proto, remote.proto): (field number << 3) | wire type.
const LENGTH_DELIMITED_1 = (1 << 3) | 2;
const LENGTH_DELIMITED_2 = (2 << 3) | 2;
const DOUBLE_1 = (1 << 3) | 1;
const VARINT_2 = (2 << 3) | 0;

/**
 * A Prometheus remote-write 1.0 body: a `WriteRequest` protobuf, snappy block-compressed.
 * Hand-written with protobufjs' Writer because four small messages do not need a .proto
 * compiler step.
 */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const ts of series) {
    w.uint32(LENGTH_DELIMITED_1).fork();
    for (const [name, value] of ts.labels) {
      w.uint32(LENGTH_DELIMITED_1).fork().uint32(LENGTH_DELIMITED_1).string(name);
      w.uint32(LENGTH_DELIMITED_2).string(value).ldelim();
    }
    for (const [t, v] of ts.samples) {
      w.uint32(LENGTH_DELIMITED_2).fork().uint32(DOUBLE_1).double(v).uint32(VARINT_2).int64(t).ldelim();
    }
    w.ldelim();
  }
  return compress(w.finish());
}
