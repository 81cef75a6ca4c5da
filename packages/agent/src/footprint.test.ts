import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Module URLs a fresh Node process resolves while importing `entry` (the agent's CLI module). */
function modulesLoadedBy(entry: string): string[] {
  const script = `
    const { registerHooks } = await import('node:module');
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    await import(${JSON.stringify(entry)});
    process.stdout.write(JSON.stringify(seen));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe('agent footprint', () => {
  it('does not load the TypeBox runtime', () => {
    const loaded = modulesLoadedBy(join(import.meta.dirname, 'cli.ts'));
    expect(loaded.some((url) => url.includes('/@pantau/shared/') || url.includes('/shared/src/'))).toBe(true);
    expect(loaded.filter((url) => /\/typebox\//.test(url))).toEqual([]);
  });

  it('HTTP checks run without node:http (about 12 MB once loaded)', () => {
    const script = `
      const { registerHooks } = await import('node:module');
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
      const http = process.getBuiltinModule('node:http');
      const server = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      seen.length = 0;
      const { httpCheck } = await import(${JSON.stringify(join(import.meta.dirname, 'collectors', 'checks.ts'))});
      const result = await httpCheck({ name: 'a', type: 'http', url: 'http://127.0.0.1:' + server.address().port + '/', expectStatus: 200, insecure: false, timeoutMs: 2000 });
      server.close();
      process.stdout.write(JSON.stringify({ ok: result.ok, seen }));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as { ok: boolean; seen: string[] };
    expect(out.ok).toBe(true);
    expect(out.seen.filter((url) => /^node:(http|https|_http)/.test(url))).toEqual([]);
  });

  it('does not load ws, node:http, node:https or node:tls with the default config', () => {
    const loaded = modulesLoadedBy(join(import.meta.dirname, 'cli.ts'));
    expect(loaded.filter((url) => /\/ws\/|^node:(http|https|tls)$/.test(url))).toEqual([]);
  });

  it('a snapshot and a log line load no pino, worker thread, perf_hooks or fs/promises (1–4 MB each)', () => {
    const script = `
      const { Sampler } = await import(${JSON.stringify(join(import.meta.dirname, 'snapshot.ts'))});
      const { loadConfig } = await import(${JSON.stringify(join(import.meta.dirname, 'config', 'load.ts'))});
      const { createLogger } = await import(${JSON.stringify(join(import.meta.dirname, 'log.ts'))});
      const log = await createLogger('info');
      const sampler = new Sampler(loadConfig({ env: {}, requireCollector: false }), log);
      const body = await sampler.take(60_000);
      log.info({ disks: body.disks.length }, 'sampled');
      const loaded = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
      process.stdout.write(JSON.stringify({ loaded }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const out = JSON.parse(child.stdout) as { loaded: string[] };
    expect(out.loaded).toContain('fs');
    expect(out.loaded.filter((m) => /^(worker_threads|perf_hooks|fs\/promises)$/.test(m))).toEqual([]);
    // stderr is a pipe here, as under systemd: the log line is JSON, written without pino.
    expect(JSON.parse(child.stderr.trim().split('\n').at(-1) ?? '')).toMatchObject({
      level: 30,
      msg: 'sampled',
    });
    const urls = modulesLoadedBy(join(import.meta.dirname, 'cli.ts'));
    expect(urls.filter((url) => /\/(pino|pino-pretty|thread-stream|sonic-boom)\//.test(url))).toEqual([]);
  });

  it("calls none of ICU's collation or locale formatting (the first call maps ~3 MB of its data)", () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? sources(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
            ? [join(dir, e.name)]
            : [],
      );
    const calls = sources(import.meta.dirname).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\.localeCompare\(|\bIntl\.|\.toLocale\w*String\(/g)].map(
        (m) => `${file}: ${m[0]}`,
      ),
    );
    expect(calls).toEqual([]);
  });
});
