import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { Outbox } from './outbox.ts';

const render = (seq: number, dropped: number) => JSON.stringify({ seq, dropped, x: 'y' });
const seqs = (o: Outbox) => o.after(0).map((e) => e.seq);

describe('Outbox', () => {
  it('numbers from 1, acks cumulatively and replays what is after a point', () => {
    const o = new Outbox(10);
    for (let i = 0; i < 5; i++) o.push(render);
    expect(seqs(o)).toEqual([1, 2, 3, 4, 5]);
    expect(o.ack(3)).toBe(3);
    expect(seqs(o)).toEqual([4, 5]);
    expect(o.after(4).map((e) => e.seq)).toEqual([5]);
    expect(o.ack(2)).toBe(0);
  });

  it('drops the oldest when full and counts it in the next snapshot', () => {
    const o = new Outbox(3);
    for (let i = 0; i < 5; i++) o.push(render);
    expect(seqs(o)).toEqual([3, 4, 5]);
    expect(o.dropped).toBe(2);
    expect(JSON.parse(o.after(4)[0]?.json ?? '{}').dropped).toBe(2);
  });

  it('drops what welcome.lastSeq says is stored', () => {
    const o = new Outbox(10);
    for (let i = 0; i < 5; i++) o.push(render);
    o.welcome(0, true);
    expect(o.welcome(3, false)).toEqual({ renumbered: false, acked: 3 });
    expect(seqs(o)).toEqual([4, 5]);
  });

  it('renumbers a fresh process above lastSeq, rewriting the JSON too', () => {
    const o = new Outbox(10);
    for (let i = 0; i < 3; i++) o.push(render);
    expect(o.welcome(1000, true)).toEqual({ renumbered: true, acked: 0 });
    expect(seqs(o)).toEqual([1001, 1002, 1003]);
    expect(JSON.parse(o.after(0)[0]?.json ?? '{}')).toEqual({ seq: 1001, dropped: 0, x: 'y' });
    expect(o.push(render).seq).toBe(1004);
  });

  it('does not renumber a process that was welcomed before', () => {
    const o = new Outbox(10);
    o.welcome(0, true);
    for (let i = 0; i < 3; i++) o.push(render);
    expect(o.welcome(2, false)).toEqual({ renumbered: false, acked: 2 });
    expect(seqs(o)).toEqual([3]);
    // A collector ahead of everything this process numbered: continue above it.
    o.welcome(50, false);
    expect(o.push(render).seq).toBe(51);
  });

  it('refuses snapshot JSON that does not start with its seq', () => {
    const o = new Outbox(10);
    expect(() => o.push(() => '{"ts":1,"seq":1}')).toThrow(/start with its seq/);
  });
});

describe('Backoff', () => {
  it('grows exponentially with full jitter up to the cap, and resets', () => {
    const top = new Backoff(1_000, 60_000, () => 0.999999);
    const caps = Array.from({ length: 8 }, () => top.next());
    expect(caps).toEqual([999, 1_999, 3_999, 7_999, 15_999, 31_999, 59_999, 59_999]);
    const bottom = new Backoff(1_000, 60_000, () => 0);
    expect(bottom.next()).toBe(0);
    top.reset();
    expect(top.attempt).toBe(0);
    expect(top.cap()).toBe(1_000);
  });
});
