// Seeded, time-bounded hostile input against one collector: malformed, oversized and flooding
// agent frames on the gateway (forged sequence jumps too), every route of the served OpenAPI
// document with hostile parameters, bodies, content types and tokens, and the shapes that cost
// CPU or slip past a rule (globs, parameter patterns, label separators, names with format
// characters) against the routes that take them. No 5xx, no crash, and good agents streaming the
// whole time keep every sequence. Reproduce a run with PANTAU_FUZZ_SEED=<seed printed below>.
import { CloseCodes, ErrorCodes, Limits } from '@pantau/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sampleHello, sampleSnapshot } from '../fixtures/samples.ts';
import { RawAgent } from '../support/agent-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const seed = Number(process.env.PANTAU_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env.PANTAU_FUZZ_MS ?? 20_000);
console.info(`hostile-input fuzz: seed ${seed}, ${BUDGET_MS} ms (reproduce with PANTAU_FUZZ_SEED=${seed})`);

let t: TestApp;
let admin: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestApp({ api: { authFailuresPerMinute: 1_000_000 } });
  admin = t.adminToken;
  viewer = t.token('viewer');
});
afterAll(() => t.close());

/** Strings that broke or could break parsers, SQL, paths and numbers. */
const hostileString = fc.oneof(
  fc.constantFrom(
    'Infinity',
    '-Infinity',
    '1e400',
    'NaN',
    '-1',
    '0',
    '9007199254740993',
    '0x10',
    '1.5',
    '',
    ' ',
    '../../etc/passwd',
    '%00',
    "' OR 1=1 --",
    '<img src=x onerror=alert(1)>',
    '{{7*7}}',
    '\u0000',
    '\ud800',
    'a'.repeat(5_000),
    '__proto__',
    'constructor',
    'env=prod',
    '=',
    '*?*?*?*?*?*?*?*?*?*?*?*?Z',
    '(a+)+b',
    '(a)\\1',
    'a,b=c',
    'web\u202e1',
    'web\u200b1',
  ),
  fc.string({ maxLength: 40 }),
  fc.integer().map(String),
  fc.double().map(String),
);

const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ name: hostileString, labels: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) }),
  fc.constant({ __proto__: { admin: true } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}')),
);

/** HTTP headers carry visible ASCII; anything else cannot even be sent. */
const headerSafe = (text: string) => text.replace(/[^\x21-\x7e]/g, 'x').slice(0, 600);

interface RouteDoc {
  method: string;
  path: string;
  query: string[];
}

const routeCase = fc.record({
  route: fc.nat(),
  params: fc.array(hostileString, { minLength: 3, maxLength: 3 }),
  query: fc.array(fc.tuple(fc.nat(), hostileString), { maxLength: 3 }),
  extraQuery: fc.option(fc.tuple(hostileString, hostileString)),
  body: fc.oneof(
    hostileJson.map((v) => JSON.stringify(v)),
    fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '{"a":1}{"b":2}', '\u0000', 'a=b&c=d'),
    fc.string({ maxLength: 200 }),
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-7',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/json; charset=',
    '',
  ),
  // Mostly the admin token, so most requests get past auth and reach validation and handlers.
  token: fc.oneof(
    { weight: 6, arbitrary: fc.constant('admin') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('viewer', 'none', 'garbage', 'Basic YWRtaW46YWRtaW4=', 'Bearer'),
    },
  ),
});

/**
 * `spare`: ids of the good hosts; a request naming one would legitimately delete it or rotate its
 * token (closing its agent), which is not what the good agents are there to show.
 */
async function fuzzApi(
  deadline: number,
  spare: ReadonlySet<number>,
): Promise<{ requests: number; byStatus: Record<number, number> }> {
  const doc = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
  };
  const routes: RouteDoc[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
  expect(routes.length).toBeGreaterThan(20);
  const cases = fc.sample(routeCase, { seed, numRuns: 20_000 });
  const byStatus: Record<number, number> = {};
  let requests = 0;
  for (const c of cases) {
    if (Date.now() > deadline) break;
    // Every route once first, then at random.
    const route = routes[requests < routes.length ? requests : c.route % routes.length]!;
    let i = 0;
    // Lone surrogates cannot be percent-encoded; everything else goes as it is.
    const param = (raw: string) => (spare.has(Number(raw.trim())) ? `x${raw}` : raw);
    const path = route.path.replace(/\{[^}]+\}/g, () =>
      encodeURIComponent(param(c.params[i++ % 3]!).replace(/[\ud800-\udfff]/g, '?')),
    );
    const search = new URLSearchParams();
    for (const [which, value] of c.query)
      if (route.query.length > 0) search.append(route.query[which % route.query.length]!, value);
    if (c.extraQuery) search.append(c.extraQuery[0], c.extraQuery[1]);
    const headers: Record<string, string> = {};
    if (c.token === 'admin') headers.authorization = `Bearer ${admin}`;
    else if (c.token === 'viewer') headers.authorization = `Bearer ${viewer}`;
    else if (c.token === 'garbage') headers.authorization = `Bearer pat_${headerSafe(c.params[0]!)}`;
    else if (c.token !== 'none') headers.authorization = c.token;
    const hasBody = route.method !== 'GET' && route.method !== 'HEAD';
    if (hasBody && c.contentType) headers['content-type'] = c.contentType;
    const url = `${t.url}${path}${search.size > 0 ? `?${search}` : ''}`;
    const res = await fetch(url, { method: route.method, headers, ...(hasBody ? { body: c.body } : {}) });
    const text = await res.text();
    requests++;
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    if (res.status >= 500)
      throw new Error(`${route.method} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
    if (res.status >= 400 && res.headers.get('content-type')?.includes('json')) {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      expect(body.error?.code, `${route.method} ${url}`).toBeDefined();
      expect(body.error?.message, `${route.method} ${url}`).toBeTruthy();
    }
  }
  return { requests, byStatus };
}

/** The input shapes that once stalled the collector or slipped past a rule (issue: no input stalls it). */
const LONG_NAME = 'web-prod-eu-west-1-frontend-node-0000000001';
const FORMAT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const piece = (...parts: string[]) =>
  fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 24 }).map((xs) => xs.join(''));
const shapeCase = fc.oneof(
  fc.record({
    kind: fc.constant('glob' as const),
    glob: piece('*', '?', '*?', 'a', '-', '0', 'Z', 'web', '.'),
  }),
  fc.record({
    kind: fc.constant('pattern' as const),
    pattern: piece(
      '(a+)+',
      '(a|aa)*',
      'b',
      '.*',
      '(a)\\1',
      '(?=a)',
      '[a-z]{1,3}',
      '\\d',
      'a{2000}',
      '(',
      '|',
    ),
    value: fc.oneof(fc.constantFrom(`${'a'.repeat(40)}!`, 'ab', ''), fc.string({ maxLength: 60 })),
  }),
  fc.record({
    kind: fc.constant('label' as const),
    key: fc.oneof(fc.constantFrom('env', 'role', 'a.b', 'k-1'), piece('a', ',', '=', ' ', '_')),
    value: piece('prod', ',', '=', ' ', 'b', '\u200b', '\u202e', 'é', '"', '\t'),
  }),
  fc.record({
    kind: fc.constant('name' as const),
    what: fc.constantFrom('users', 'tokens', 'recipients'),
    name: piece(
      'web',
      ' ',
      '1',
      '\u202e',
      '\u2066',
      '\u200b',
      '\u200d',
      '\u00ad',
      '\ufeff',
      'e\u0301',
      'Ａ',
      '\u0000',
    ),
  }),
);

/**
 * Globs, parameter patterns, label separators and names with format characters, each against the
 * route that takes it: answered fast (the backtracking versions took 88 s and 2.8 s doubling),
 * never 5xx, and what is accepted keeps its rule (a label can be selected, a name is clean NFC).
 */
async function fuzzShapes(deadline: number, shapeHost: number): Promise<number> {
  const cases = fc.sample(shapeCase, { seed: seed + 2, numRuns: 2_000 });
  const call = async (method: string, path: string, body: unknown) => {
    const started = performance.now();
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    const ms = performance.now() - started;
    const what = `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`;
    expect(res.status, what).toBeLessThan(500);
    // Generous for a loaded machine; linear matching answers in milliseconds.
    expect(ms, what).toBeLessThan(5_000);
    return { status: res.status, body: json };
  };
  let n = 0;
  for (const c of cases) {
    if (Date.now() > deadline) break;
    n++;
    switch (c.kind) {
      case 'glob':
        await call('POST', '/jobs/preview', { activity: 'uptime', targets: { hosts: [c.glob] } });
        break;
      case 'pattern': {
        const name = `fz-${n}`;
        const made = await call('POST', '/activities', {
          name,
          description: 'fuzz',
          action: 'ping',
          fixed: {},
          params: [{ name: 'target', kind: 'regex', pattern: c.pattern }],
          minRole: 'operator',
        });
        if (made.status !== 201) break;
        await call('POST', '/jobs/preview', {
          activity: name,
          params: { target: c.value },
          targets: { hosts: [LONG_NAME] },
        });
        await fetch(`${t.url}/api/v1/activities/${name}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${admin}` },
        });
        break;
      }
      case 'label': {
        const set = await call('PATCH', `/hosts/${shapeHost}`, { labels: { [c.key]: c.value } });
        if (set.status !== 200) break;
        const picked = await call('POST', '/jobs/preview', {
          activity: 'uptime',
          targets: { selector: `${c.key}=${c.value}` },
        });
        // Selected whether it would run or is skipped (it has no agent).
        const ids = ['hosts', 'skipped'].flatMap((field) =>
          ((picked.body?.[field] as { id: number }[] | undefined) ?? []).map((h) => h.id),
        );
        expect(ids, `label ${JSON.stringify(c)}`).toContain(shapeHost);
        break;
      }
      case 'name': {
        const body =
          c.what === 'users'
            ? { name: c.name, role: 'viewer' }
            : c.what === 'tokens'
              ? { name: c.name, role: 'viewer' }
              : { channel: 'email', name: c.name, address: `fz${n}@example.com` };
        const made = await call('POST', `/${c.what}`, body);
        if (made.status >= 300) break;
        const stored = String((made.body?.token as { name?: string } | undefined)?.name ?? made.body?.name);
        expect(
          FORMAT.test(stored),
          `${c.what} ${JSON.stringify(c.name)} stored as ${JSON.stringify(stored)}`,
        ).toBe(false);
        expect(stored).toBe(stored.normalize('NFC'));
        break;
      }
    }
  }
  return n;
}

const frameCase = fc.oneof(
  fc.record({
    kind: fc.constant('mutate' as const),
    base: fc.nat(3),
    path: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant('kind' as const), t: hostileString }),
  fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('oversized' as const), factor: fc.constantFrom(1.01, 2, 5) }),
  fc.record({ kind: fc.constant('flood' as const), n: fc.integer({ min: 250, max: 600 }) }),
  fc.record({ kind: fc.constant('prehello' as const), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('token' as const), token: hostileString }),
  fc.record({
    kind: fc.constant('seqjump' as const),
    seq: fc.oneof(fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    bootId: fc.option(fc.constantFrom('forged-boot-1', 'forged-boot-2')),
  }),
);

/** Sets one leaf (chosen by `pick`) of a frame to `value`. */
/** Closes a socket once the collector has read everything sent before: its pong follows them. */
function closeWhenRead(ws: WebSocket): void {
  ws.once('pong', () => ws.close(1000));
  ws.ping();
}

function mutate(frame: Record<string, unknown>, pick: number, value: unknown): unknown {
  const paths: string[][] = [];
  const walk = (node: unknown, at: string[]) => {
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
    }
    paths.push(at);
  };
  walk(frame, []);
  const path = paths[pick % paths.length]!;
  if (path.length === 0) return value;
  const copy = structuredClone(frame);
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

/** Opens a socket (hello unless told not to), does one hostile thing, waits for the close. */
async function hostileSocket(
  token: string,
  act: (ws: WebSocket) => void,
  hello = true,
  helloOverrides: Parameters<typeof sampleHello>[0] = {},
): Promise<{ code: number; errors: string[]; refused?: number }> {
  const ws = new WebSocket(t.wsUrl, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  const errors: string[] = [];
  let welcomed = false;
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), 8_000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ code: 0, errors, refused: res.statusCode ?? 0 });
    });
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { t: string; code?: string };
      if (frame.t === 'error') errors.push(frame.code ?? '?');
      if (frame.t === 'welcome' && !welcomed) {
        welcomed = true;
        act(ws);
        // A valid frame does not close the socket: end it ourselves once the collector has read it.
        closeWhenRead(ws);
      }
    });
    ws.on('open', () => {
      if (hello) ws.send(JSON.stringify(sampleHello(helloOverrides)));
      else {
        act(ws);
        closeWhenRead(ws);
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, errors });
    });
  });
}

async function fuzzGateway(
  deadline: number,
  hostile: { id: number; token: string },
): Promise<{ sockets: number; closes: Record<number, number> }> {
  const cases = fc.sample(frameCase, { seed: seed + 1, numRuns: 5_000 });
  const closes: Record<number, number> = {};
  let sockets = 0;
  let seq = 0;
  for (const c of cases) {
    if (Date.now() > deadline) break;
    const bases = [
      () => sampleHello(),
      () => ({ t: 'metrics', snapshot: sampleSnapshot(++seq) }),
      () => ({ t: 'metrics.batch', snapshots: [sampleSnapshot(++seq), sampleSnapshot(++seq)] }),
      () => ({ t: 'job.output', jobId: 'j1', stream: 'stdout', data: 'x' }),
    ];
    let result: { code: number; errors: string[]; refused?: number };
    switch (c.kind) {
      case 'mutate':
        result = await hostileSocket(hostile.token, (ws) =>
          ws.send(JSON.stringify(mutate(bases[c.base]!() as Record<string, unknown>, c.path, c.value))),
        );
        break;
      case 'text':
        result = await hostileSocket(hostile.token, (ws) => ws.send(c.text));
        break;
      case 'json':
        result = await hostileSocket(hostile.token, (ws) => ws.send(JSON.stringify(c.value)));
        break;
      case 'kind':
        result = await hostileSocket(hostile.token, (ws) => ws.send(JSON.stringify({ t: c.t })));
        break;
      case 'binary':
        result = await hostileSocket(hostile.token, (ws) => ws.send(Buffer.from(c.bytes), { binary: true }));
        break;
      case 'oversized':
        result = await hostileSocket(hostile.token, (ws) =>
          ws.send('x'.repeat(Math.floor(Limits.frameBytes * c.factor))),
        );
        break;
      case 'flood':
        result = await hostileSocket(hostile.token, (ws) => {
          for (let i = 0; i < c.n; i++) ws.send('{"t":"error","code":"INTERNAL","message":"flood"}');
        });
        break;
      case 'prehello':
        result = await hostileSocket(hostile.token, (ws) => ws.send(JSON.stringify(c.value)), false);
        break;
      case 'token':
        result = await hostileSocket(headerSafe(c.token), () => {});
        break;
      case 'seqjump':
        result = await hostileSocket(
          hostile.token,
          (ws) =>
            ws.send(JSON.stringify({ t: 'metrics', snapshot: sampleSnapshot(c.seq, { ts: Date.now() }) })),
          true,
          c.bootId === null ? {} : { bootId: c.bootId },
        );
        break;
    }
    sockets++;
    if (result.refused !== undefined) {
      expect([401, 429]).toContain(result.refused);
      continue;
    }
    closes[result.code] = (closes[result.code] ?? 0) + 1;
    // A protocol error is answered with a catalogued code and a 4xxx close, never 1011 or a crash.
    expect(result.code, JSON.stringify(c).slice(0, 300)).not.toBe(1011);
    for (const code of result.errors) expect(Object.keys(ErrorCodes)).toContain(code);
    if (result.code >= 4000) expect(result.errors.length).toBeGreaterThan(0);
  }
  return { sockets, closes };
}

describe('hostile input, seeded and time-bounded', () => {
  it(
    'no 5xx, no crash, and good agents keep every sequence meanwhile',
    async () => {
      const good = [t.addHost('good-1'), t.addHost('good-2')];
      const hostile = t.addHost('hostile-1');
      const shapeHost = t.addHost('shape-1').id;
      const longHost = t.addHost(LONG_NAME).id;
      const agents = await Promise.all(good.map((h) => RawAgent.connect(t.wsUrl, h.token)));
      for (const a of agents) await a.hello();
      let sent = 0;
      let streaming = true;
      // Sent faster than one a second: a millisecond apart keeps every timestamp distinct.
      const t0 = Date.now();
      const stream = (async () => {
        while (streaming) {
          sent++;
          for (const a of agents) a.send({ t: 'metrics', snapshot: sampleSnapshot(sent, { ts: t0 + sent }) });
          // At the collector's pace: the next snapshot once this one is committed.
          await Promise.all(agents.map((a) => a.waitAck(sent, 10_000)));
        }
      })();

      const deadline = Date.now() + BUDGET_MS;
      let api: Awaited<ReturnType<typeof fuzzApi>>;
      let gateway: Awaited<ReturnType<typeof fuzzGateway>>;
      let shapes: number;
      try {
        [api, gateway, shapes] = await Promise.all([
          fuzzApi(deadline, new Set([...good.map((h) => h.id), hostile.id, shapeHost, longHost])),
          fuzzGateway(deadline, hostile),
          fuzzShapes(deadline, shapeHost),
        ]);
      } finally {
        streaming = false;
        await stream;
      }
      console.info(
        `fuzz: ${api.requests} requests ${JSON.stringify(api.byStatus)}; ${gateway.sockets} hostile sockets, closes ${JSON.stringify(gateway.closes)}; ${shapes} shapes`,
      );
      expect(api.requests).toBeGreaterThan(100);
      expect(gateway.sockets).toBeGreaterThan(50);
      expect(shapes).toBeGreaterThan(20);
      // Whatever seq the fuzz forged for it, a new agent process of the hostile host numbers afresh.
      const fresh = await RawAgent.connect(t.wsUrl, hostile.token);
      expect((await fresh.hello({ bootId: 'real-boot-after-fuzz' })).lastSeq).toBe(0);
      fresh.send({ t: 'metrics', snapshot: sampleSnapshot(1, { ts: Date.now() }) });
      await fresh.waitAck(1);
      fresh.close();
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);

      for (const [i, a] of agents.entries()) {
        await a.waitAck(sent, 10_000);
        expect(a.ws.readyState).toBe(WebSocket.OPEN);
        const seqs = t.app.pantau.store.db
          .prepare('SELECT count(*) AS n, count(DISTINCT ts) AS d FROM metrics_raw WHERE host = ?')
          .get(good[i]!.id) as { n: number; d: number };
        expect(seqs).toEqual({ n: sent, d: sent });
        expect(t.app.pantau.store.hosts.get(good[i]!.id)?.lastSeq).toBe(sent);
        a.close();
      }
      expect(CloseCodes.INVALID_FRAME).toBe(4003);
    },
    BUDGET_MS + 60_000,
  );
});
