import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleSnapshot } from './fixtures/samples.ts';
import { RawAgent } from './support/agent-client.ts';
import { type CollectorProcess, collectorCli, startCollectorProcess } from './support/collector-process.ts';

const started: CollectorProcess[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) {
    await c.stop('SIGKILL');
    rmSync(c.dataDir, { recursive: true, force: true });
  }
});

async function addHost(c: CollectorProcess, name: string): Promise<{ id: number; token: string }> {
  const res = await fetch(`${c.url}/api/v1/hosts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { host: { id: number }; token: string };
  return { id: body.host.id, token: body.token };
}

describe('collector process', () => {
  it('killed with SIGKILL mid-stream and restarted: a replaying client loses and duplicates nothing', async () => {
    const first = await startCollectorProcess();
    started.push(first);
    const { id, token } = await addHost(first, 'crash-1');
    const agent = await RawAgent.connect(first.wsUrl, token);
    await agent.hello();
    // An outbox like the agent's: everything not yet acked.
    const outbox = new Map<number, ReturnType<typeof sampleSnapshot>>();
    let seq = 0;
    const sendSome = (a: RawAgent, n: number) => {
      for (let i = 0; i < n; i++) {
        const s = sampleSnapshot(++seq, { ts: Date.now() - 100_000 + seq });
        outbox.set(s.seq, s);
        if (a.ws.readyState === a.ws.OPEN) a.send({ t: 'metrics', snapshot: s });
      }
    };
    sendSome(agent, 40);
    await agent.waitAck(20);
    sendSome(agent, 60);
    await first.stop('SIGKILL');
    await agent.closed;
    for (const s of [...outbox.keys()]) if (s <= agent.highestAck) outbox.delete(s);
    sendSome(agent, 20); // produced while the collector was down

    const second = await startCollectorProcess({ dataDir: first.dataDir, adminToken: first.adminToken });
    started.push(second);
    const again = await RawAgent.connect(second.wsUrl, token);
    const welcome = await again.hello();
    expect(welcome.lastSeq).toBeGreaterThanOrEqual(agent.highestAck);
    // Replay everything unacked, even what the collector may already have (its ack was lost).
    again.send({ t: 'metrics.batch', snapshots: [...outbox.values()] });
    await again.waitAck(seq);
    again.close();
    await second.stop('SIGTERM');

    const db = new Database(join(first.dataDir, 'pantau.db'), { readonly: true });
    const rows = db
      .prepare('SELECT ts FROM metrics_raw WHERE host = ? ORDER BY ts')
      .pluck()
      .all(id) as number[];
    db.close();
    expect(rows).toHaveLength(seq);
    expect(new Set(rows).size).toBe(seq);
  });

  it('shuts down on SIGTERM within 5 s, committing and acking what it received, closing agents with 4006', async () => {
    const c = await startCollectorProcess();
    started.push(c);
    const { token } = await addHost(c, 'term-1');
    const agent = await RawAgent.connect(c.wsUrl, token);
    await agent.hello();
    for (let i = 1; i <= 10; i++) agent.send({ t: 'metrics', snapshot: sampleSnapshot(i) });
    await agent.waitAck(10);
    const stopped = await c.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect((await agent.closed).code).toBe(4006);
    const stats = JSON.parse(await collectorCli(c.dataDir, ['db', 'stats'])) as {
      rows: Record<string, number>;
      walBytes: number;
    };
    expect(stats.rows.metrics_raw).toBe(10);
    expect(stats.walBytes).toBe(0);
  });

  it('CLI: hosts add prints a working agent token; db backup and migrate work on the data dir', async () => {
    const c = await startCollectorProcess();
    started.push(c);
    const token = (await collectorCli(c.dataDir, ['hosts', 'add', 'cli-1', '--label', 'env=prod'])).trim();
    expect(token).toMatch(/^pag_/);
    const agent = await RawAgent.connect(c.wsUrl, token);
    expect((await agent.hello()).hostName).toBe('cli-1');
    agent.close();
    const backup = join(c.dataDir, 'copy.db');
    expect(await collectorCli(c.dataDir, ['db', 'backup', backup])).toMatch(/backed up \d+ pages/);
    const db = new Database(backup, { readonly: true });
    expect(db.prepare("SELECT labels FROM hosts WHERE name = 'cli-1'").pluck().get()).toBe('{"env":"prod"}');
    db.close();
    expect(await collectorCli(c.dataDir, ['db', 'migrate'])).toMatch(/up to date \(schema \d+\)/);
    await expect(collectorCli(c.dataDir, ['tokens', 'create', '--role', 'root'])).rejects.toMatchObject({
      code: 2,
    });
  });
});
