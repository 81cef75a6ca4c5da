import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Snapshot, validate } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import { FakeTime } from '../../../test/support/fake-time.ts';
import { until } from '../../../test/support/until.ts';
import { renderSnapshot } from './agent.ts';
import { loadConfig } from './config/load.ts';
import { ErrorTracker } from './errors.ts';
import { silentLog } from './log.ts';
import { Sampler } from './snapshot.ts';

const silent = silentLog;

describe('Sampler', () => {
  it('puts heavy parts in the first snapshot and then only when due', async () => {
    const sampler = new Sampler(loadConfig({ env: {}, requireCollector: false }), silent);
    const first = await sampler.take(5_000);
    expect(first.processes).toBeDefined();
    expect(first.ports).toBeDefined();
    expect(first.disks).toBeDefined();
    expect(first.system).toBeDefined();
    const second = await sampler.take(5_000);
    expect(second.processes).toBeUndefined();
    expect(second.system).toBeUndefined();
    expect(validate(Snapshot, { seq: 1, ...first, dropped: 0 })).toBe(true);
    sampler.markDue('system');
    expect((await sampler.take(5_000)).system).toBeDefined();
  });

  it('reports a failing collector once, not at every run, and keeps the rest going', async () => {
    const config = loadConfig({ env: {}, requireCollector: false });
    const failing = {
      ...config,
      // A "Docker socket" that exists but is not a socket makes the containers collector fail.
      dockerSocket: '/proc/self/stat',
    };
    const sampler = new Sampler(failing, silent);
    const first = await sampler.take(5_000);
    expect(first.errors).toEqual([{ collector: 'containers', message: expect.stringMatching(/.+/) }]);
    expect(first.cpu).toBeDefined();
    sampler.markDue('containers');
    const again = await sampler.take(5_000);
    expect(again.errors).toBeUndefined();
  });
});

describe('Sampler checks', () => {
  it("sends what is ready when take()'s wait ends, and a slower check in a later snapshot (fake time)", async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1'); // never answers
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const config = {
      ...loadConfig({
        env: {},
        requireCollector: false,
        text: `checks: [{ name: api, type: http, url: "http://127.0.0.1:${port}/", timeout: 10s }]`,
      }),
      dockerSocket: '/nonexistent/docker.sock',
    };
    const time = new FakeTime();
    const sampler = new Sampler(config, silent, { timers: time.timers });
    try {
      const first = sampler.take(1_000);
      await once(server, 'connection');
      time.advance(1_000);
      const body = await first;
      expect(body.checks).toBeUndefined();
      expect(body.cpu).toBeDefined();
      time.advance(9_000); // the check's own deadline
      await new Promise((resolve) => setImmediate(resolve));
      expect((await sampler.take(0)).checks).toEqual([
        expect.objectContaining({ name: 'api', ok: false, error: 'no answer within 10000 ms' }),
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('confirms a fresh failure after checkRetry and asks for an immediate snapshot each time', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const config = loadConfig({
      env: {},
      requireCollector: false,
      text: `checkRetry: 200ms\ncadences: { checks: 1h }\nchecks: [{ name: api, type: tcp, host: 127.0.0.1, port: ${port}, timeout: 1s }]`,
    });
    // The checks' schedule runs on fake time, moved on at each poll; the checks are real TCP connects.
    const time = new FakeTime();
    const sampler = new Sampler(config, silent, { timers: time.timers });
    const pump = (done: () => boolean | Promise<boolean>) =>
      until('the checks to report', () => {
        time.advance(20);
        return done();
      });
    const urgent: number[] = [];
    const carried: unknown[] = [];
    // What an urgent snapshot taken right away carries: the result that made it urgent.
    sampler.onUrgent(() => {
      urgent.push(time.now());
      void sampler.take(0).then((body) => carried.push(body.checks?.map((c) => c.ok)));
    });
    sampler.startChecks();
    try {
      await pump(async () => (await sampler.take(0)).checks !== undefined);
      expect(urgent).toEqual([]); // up from the start: nothing urgent
      server.close();
      await once(server, 'close');
      // With a 1 h cadence only the retry can bring the second run within seconds.
      sampler.stopChecks();
      sampler.startChecks();
      await pump(() => urgent.length >= 2);
      expect(urgent[1]! - urgent[0]!).toBeGreaterThanOrEqual(150);
      expect(urgent[1]! - urgent[0]!).toBeLessThan(1_500);
      await until('two snapshots carrying check results', () => carried.length >= 2);
      expect(carried.slice(0, 2)).toEqual([[false], [false]]);
    } finally {
      sampler.stopChecks();
      server.close();
    }
  });
});

describe('ErrorTracker', () => {
  it('reports a failure once, a changed failure again, and recovery with an empty message', () => {
    const t = new ErrorTracker(silent);
    t.fail('ports', new Error('EACCES'));
    t.fail('ports', new Error('EACCES'));
    expect(t.take()).toEqual([{ collector: 'ports', message: 'EACCES' }]);
    t.fail('ports', new Error('EACCES'));
    expect(t.take()).toBeUndefined();
    t.fail('ports', new Error('EMFILE'));
    t.ok('ports');
    t.ok('ports');
    expect(t.take()).toEqual([
      { collector: 'ports', message: 'EMFILE' },
      { collector: 'ports', message: '' },
    ]);
  });
});

describe('renderSnapshot', () => {
  it('puts seq first and strips optional parts from a snapshot the schema refuses', () => {
    const body = {
      ts: 1,
      uptime: 1,
      cpu: { total: 1, user: 1, system: 0, iowait: 0, steal: 0, cores: [1] },
      load: { l1: 0, l5: 0, l15: 0 },
      memory: { total: 1, used: 0, available: 1, buffers: 0, cached: 0 },
      swap: { total: 0, used: 0 },
      net: [],
    };
    expect(renderSnapshot(7, 0, body, silent)).toMatch(/^\{"seq":7,"ts":1,/);
    const bad = { ...body, ports: [{ proto: 'tcp' as const, address: 'x', port: 70_000 }] };
    const json = JSON.parse(renderSnapshot(8, 2, bad, silent)) as Snapshot;
    expect(json.ports).toBeUndefined();
    expect(json.dropped).toBe(2);
    expect(validate(Snapshot, json)).toBe(true);
  });
});
