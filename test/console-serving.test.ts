import { type ClientRequest, get as httpGet, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleSnapshot } from './fixtures/samples.ts';
import { RawAgent } from './support/agent-client.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/until.ts';

/**
 * Opens the console stream on its own socket (node:http, no pooling: a cancelled fetch body can
 * leave the pool's socket half-open and hold app.close()), collecting { event, data } as they come.
 */
function openStream(url: string, token: string | null) {
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  let req: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = httpGet(
      `${url}/api/v1/stream`,
      { agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
      resolve,
    );
    req.on('error', reject);
  });
  const done = response.then(
    (res) =>
      new Promise<void>((resolve) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
            cut = buffer.indexOf('\n\n');
          }
        });
        res.on('close', resolve);
      }),
  );
  return { response, events, done, cancel: () => req.destroy() };
}

describe('console serving', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the console at / with a strict CSP and no inline script', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<div id="app">');
    // Every script is an external file, so the CSP needs no exception.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('answers page paths with index.html so links into the console work', async () => {
    for (const path of ['/hosts/12', '/incidents?status=open', '/fleet']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it('keeps API, agent and asset misses as JSON 404s', async () => {
    for (const path of ['/api/v1/nope', '/api/v2/hosts', '/assets/missing.js', '/metrics/x']) {
      const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
    const post = await fetch(`${t.url}/hosts/1`, { method: 'POST' });
    expect(post.status).toBe(404);
    await post.arrayBuffer();
  });

  it('sends assets pre-compressed and cacheable for a year', async () => {
    const html = await (await fetch(`${t.url}/`)).text();
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    const br = await fetch(`${t.url}${js}`, { headers: { 'accept-encoding': 'br' } });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toContain('immutable');
    // An unread body would hold the connection open past app.close().
    expect((await br.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const gz = await fetch(`${t.url}${js}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect((await gz.text()).length).toBeGreaterThan(1000);
  });

  it('refuses the stream without a token or with a wrong one', async () => {
    const none = await fetch(`${t.url}/api/v1/stream`);
    expect(none.status).toBe(401);
    await none.arrayBuffer();
    const wrong = await fetch(`${t.url}/api/v1/stream`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  it('streams every host first, then stored snapshots and status changes coalesced per host', async () => {
    const a = t.addHost('stream-a', { env: 'prod' });
    t.addHost('stream-b');
    const sse = openStream(t.url, t.token('viewer'));
    const res = await sse.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const hello = await until('hello', () => sse.events.find((e) => e.event === 'hello'));
    const names = (hello.data as { hosts: { name: string }[] }).hosts.map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(['stream-a', 'stream-b']));

    const agent = await RawAgent.connect(t.wsUrl, a.token);
    await agent.hello();
    // Five snapshots in quick succession land in one or two batches, not five.
    for (let seq = 1; seq <= 5; seq++) {
      agent.send({
        t: 'metrics',
        snapshot: sampleSnapshot(seq, { ts: Date.now(), cpu: { ...sampleSnapshot().cpu, total: 10 + seq } }),
      });
    }
    await agent.waitAck(5);
    type Batch = { hosts: { id: number; name: string; status: string; cpu: number | null }[] };
    const last = await until('cpu 15 on the stream', () =>
      sse.events.find(
        (e) => e.event === 'hosts' && (e.data as Batch).hosts.some((h) => h.id === a.id && h.cpu === 15),
      ),
    );
    const mentions = sse.events.filter(
      (e) => e.event === 'hosts' && (e.data as Batch).hosts.some((h) => h.id === a.id),
    );
    expect(mentions.length).toBeLessThan(5);
    for (const e of mentions) expect((e.data as Batch).hosts.filter((h) => h.id === a.id)).toHaveLength(1);
    expect((last.data as Batch).hosts.find((h) => h.id === a.id)!.status).toBe('online');

    agent.close();
    await until('offline on the stream', () =>
      sse.events.find(
        (e) =>
          e.event === 'hosts' && (e.data as Batch).hosts.some((h) => h.id === a.id && h.status === 'offline'),
      ),
    );
    sse.cancel();
  });

  it('follows stored snapshots only while a stream is open, and a later stream starts from the store', async () => {
    const { events } = t.app.pantau;
    type Hello = { hosts: { id: number; cpu: number | null; status: string }[] };
    const a = t.addHost('unwatched-a');
    const first = openStream(t.url, t.token('viewer'));
    await until('hello', () => first.events.find((e) => e.event === 'hello'));
    const watched = events.listenerCount('snapshot.stored');
    first.cancel();
    await until(
      'stream hub stopped following',
      () => events.listenerCount('snapshot.stored') === watched - 1,
    );

    const agent = await RawAgent.connect(t.wsUrl, a.token);
    await agent.hello();
    agent.send({
      t: 'metrics',
      snapshot: sampleSnapshot(1, { ts: Date.now(), cpu: { ...sampleSnapshot().cpu, total: 42 } }),
    });
    await agent.waitAck(1);

    const second = openStream(t.url, t.token('viewer'));
    const hello = await until('hello', () => second.events.find((e) => e.event === 'hello'));
    // Stored and connected while nobody watched: the hello reads both from the store.
    expect((hello.data as Hello).hosts.find((h) => h.id === a.id)).toMatchObject({
      cpu: 42,
      status: 'online',
    });
    expect(events.listenerCount('snapshot.stored')).toBe(watched);
    second.cancel();
    agent.close();
  });

  it('ends open streams when the collector closes, so it shuts down promptly', async () => {
    const other = await startTestApp();
    const sse = openStream(other.url, other.adminToken);
    await until('hello', () => sse.events.find((e) => e.event === 'hello'));
    // A stream left open would hold close() until the test times out.
    await other.close();
    await sse.done;
  });
});
