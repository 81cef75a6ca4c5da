import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Processes, validate } from '@pantau/shared';
import { describe, expect, it } from 'vitest';
import { ProcessCollector, parsePasswd, parsePidStat, topProcesses } from './processes.ts';
import { displayName } from './program.ts';

const data = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test-data', name), 'utf8');

describe('processes', () => {
  it('parses /proc/[pid]/stat with spaces and parentheses in the name', () => {
    expect(parsePidStat(data('pid-stat.txt'))).toEqual({
      pid: 12345,
      name: 'node (worker) x',
      ticks: 380,
      start: 4200,
      rssPages: 12000,
    });
    expect(() => parsePidStat('garbage')).toThrow(/unexpected stat line/);
  });

  it('maps uids to names from /etc/passwd', () => {
    const users = parsePasswd(
      'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n# comment\n',
    );
    expect([...users]).toEqual([
      [0, 'root'],
      [33, 'www-data'],
    ]);
  });

  it('ranks by CPU and by memory', () => {
    const procs = [
      { pid: 1, cpu: 0.5, rss: 900 },
      { pid: 2, cpu: 50, rss: 100 },
      { pid: 3, cpu: 10, rss: 5000 },
      { pid: 4, cpu: 10, rss: 10 },
    ];
    const { topCpu, topMem } = topProcesses(procs, 2);
    expect(topCpu.map((p) => p.pid)).toEqual([2, 3]);
    expect(topMem.map((p) => p.pid)).toEqual([3, 1]);
  });

  it.each([
    [
      'MainThread',
      ['/usr/bin/node', '--enable-source-maps', '/opt/app/server.js', '--port', '80'],
      'server.js',
    ],
    ['MainThread', ['node'], 'node'],
    ['MainThread', ['/usr/local/bin/pantau-agent', 'run'], 'pantau-agent'],
    ['tokio-runtime-w', ['/usr/bin/python3', '-u', 'worker.py'], 'worker.py'],
    ['nginx', ['nginx: worker process'], 'nginx'],
    [
      'prometheus-node',
      ['/usr/bin/prometheus-node-exporter', '--web.listen-address=:9100'],
      'prometheus-node-exporter',
    ],
    ['python3', ['/usr/bin/python3', 'app.py'], 'python3'],
    ['kworker/0:1', [], 'kworker/0:1'],
    ['systemd-journal', ['/usr/lib/systemd/systemd-journald'], 'systemd-journald'], // comm cut at 15
  ])('names %s with command line %j as %s', (comm, argv, expected) => {
    expect(displayName(comm, argv)).toBe(expected);
  });

  it('reads this machine: a valid Processes part that includes this test process', () => {
    const collector = new ProcessCollector({ top: 50, commandMax: 100 });
    collector.collect();
    const result = collector.collect();
    expect(validate(Processes, result)).toBe(true);
    expect(result.count).toBeGreaterThan(1);
    const me = result.topMem.find((p) => p.pid === process.pid);
    expect(me?.rss).toBeGreaterThan(10_000_000);
    expect(me?.user).toBe('root');
    expect(me?.command.length).toBeLessThanOrEqual(100);
    // Node names its main thread MainThread; the program or script is what people look for.
    expect(me?.name).not.toBe('MainThread');
  });
});
