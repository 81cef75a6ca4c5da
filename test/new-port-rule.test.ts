import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.ts';
import { type CollectorProcess, startCollectorProcess } from './support/collector-process.ts';
import { Api, startAgent } from './support/e2e.ts';
import { until } from './support/until.ts';

/**
 * The "new listening port" rule with a real agent reading this machine's sockets (ports every
 * 1 s) and a collector process: loopback and ephemeral ports (the range the agent read from
 * /proc/sys/net/ipv4/ip_local_port_range) are not news, nor is a port that opens and closes
 * within one interval; a service port that stays is reported once.
 */

const [LOW, HIGH] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
  .trim()
  .split(/\s+/)
  .map(Number);

interface Change {
  kind: string;
  ruleId: string;
  hostId: number;
  title: string;
}

let collector: CollectorProcess;
let api: Api;
let agent: AgentProcess;
let hostId = 0;
const servers: Server[] = [];

async function listen(port: number, host: string): Promise<number> {
  const server = createServer((s) => s.end());
  server.listen(port, host);
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** Where service ports live here: below the ephemeral range, or above it when it starts low. */
const SERVICE_BASE = LOW! > 3_000 ? LOW! - 2_000 : HIGH! < 60_000 ? HIGH! + 1 : null;

/** A free port outside the ephemeral range, from SERVICE_BASE + `offset` up, on every address or `host`. */
async function servicePort(offset: number, host = '0.0.0.0'): Promise<number> {
  for (let port = SERVICE_BASE! + offset; port < SERVICE_BASE! + offset + 1_000; port++) {
    if (port >= LOW! && port <= HIGH!) break;
    try {
      return await listen(port, host);
    } catch {
      // taken: try the next one
    }
  }
  throw new Error('no free port outside the ephemeral range');
}

const newPorts = async () =>
  (await api.get<{ items: Change[] }>(`/incidents?hostId=${hostId}&kind=change`)).items.filter(
    (i) => i.ruleId === 'new_port',
  );
/** Waits for the agent's next port report stamped after `since` (ms). */
const nextPorts = (since: number) =>
  until('a port report', async () => {
    const { ts } = await api.get<{ ts: number | null }>(`/hosts/${hostId}/ports`);
    return ts !== null && ts > since ? ts : undefined;
  });

// A kernel whose ephemeral range covers nearly every port leaves no room for a service port.
describe.skipIf(SERVICE_BASE === null)('new listening port rule end to end', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    collector = await startCollectorProcess({ env: { PANTAU_MONITOR: JSON.stringify({ thresholds: [] }) } });
    api = new Api(collector.url, collector.adminToken);
    const added = await api.addHost('web-1');
    hostId = added.id;
    agent = startAgent(collector.wsUrl, added.token);
    // The first port report is the baseline; the second proves the detector has it.
    await nextPorts(await nextPorts(0));
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) s.close();
    await agent?.stop();
    await collector?.stop();
  });

  it('reports a service port that stays, and neither loopback, ephemeral nor short-lived ones', async () => {
    expect(HIGH).toBeGreaterThan(LOW!);
    // A service port, but on loopback only.
    const loopback = await servicePort(500, '127.0.0.1');
    const ephemeral = await listen(0, '0.0.0.0');
    expect(ephemeral).toBeGreaterThanOrEqual(LOW!);
    // In exactly one port report, then gone.
    const brief = await servicePort(0);
    await until('a port report with the brief port', async () => {
      const { data } = await api.get<{ data: { port: number }[] }>(`/hosts/${hostId}/ports`);
      return data.some((p) => p.port === brief);
    });
    servers.pop()!.close();
    await nextPorts(Date.now());

    const service = await servicePort(1_000);
    const title = `web-1: new listening port tcp/${service}`;
    // Other programs on this machine (containers, a second test run) may open ports meanwhile:
    // they may be reported too; what matters is this one, once, and none of the quiet ones.
    await until('the new port incident', async () => (await newPorts()).find((i) => i.title === title));
    // Two more reports: still once.
    await nextPorts(await nextPorts(Date.now()));
    const titles = (await newPorts()).map((i) => i.title);
    expect(titles.filter((t) => t === title)).toEqual([title]);
    for (const quiet of [loopback, ephemeral, brief])
      expect(titles).not.toContain(`web-1: new listening port tcp/${quiet}`);
  });
});
