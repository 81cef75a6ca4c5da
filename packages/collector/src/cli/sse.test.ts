import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.ts';

describe('SseParser', () => {
  it('parses events with ids, types and multi-line data', () => {
    const p = new SseParser();
    const events = p.push(
      'id: 1\nevent: job\ndata: {"state":"running"}\n\nid: 2\nevent: output\ndata: a\ndata: b\n\n',
    );
    expect(events).toEqual([
      { event: 'job', data: '{"state":"running"}', id: '1' },
      { event: 'output', data: 'a\nb', id: '2' },
    ]);
    expect(p.lastEventId).toBe('2');
  });

  it('gives the same events whatever the chunk boundaries, CRLF and CR included', () => {
    const text = ': keep-alive\r\nid: 7\r\nevent: run\r\ndata: x\r\n\r\nretry: 1500\rdata:y\r\r\n';
    const whole = new SseParser().push(text);
    for (let size = 1; size <= 5; size++) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      expect(got).toEqual(whole);
      expect(p.retryMs).toBe(1500);
    }
    expect(whole).toEqual([
      { event: 'run', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  it('ignores comments, unknown fields, an event without data and a bad retry', () => {
    const p = new SseParser();
    expect(p.push(':hi\nevent: job\n\nfoo: bar\nretry: soon\n\n')).toEqual([]);
    expect(p.retryMs).toBeUndefined();
    expect(p.push('data\n\n')).toEqual([{ event: 'message', data: '', id: undefined }]);
  });

  it('holds an unfinished event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: end\ndata: {}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'end', data: '{}', id: undefined }]);
  });
});
