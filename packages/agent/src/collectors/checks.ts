import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { CheckResult } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import type { CheckConfig } from '../config/types.ts';
import { round2 } from './procfs.ts';

/** Bytes of an HTTP body read for `bodyMatch`; the rest is not downloaded. */
const BODY_LIMIT = 64 * 1024;

function elapsed(start: number): number {
  return round2(Math.max(0, performance.now() - start));
}

function clip(message: string): string {
  return message.slice(0, Limits.text);
}

/** Opens a TCP connection and closes it again; latency is the time to connect. */
export function tcpCheck(check: Extract<CheckConfig, { type: 'tcp' }>): Promise<CheckResult> {
  const target = `${check.host}:${check.port}`;
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: check.host, port: check.port });
    const done = (error?: string) => {
      socket.destroy();
      resolve({
        name: check.name,
        kind: 'tcp',
        target,
        ok: error === undefined,
        latencyMs: elapsed(start),
        ...(error === undefined ? {} : { error: clip(error) }),
      });
    };
    socket.setTimeout(check.timeoutMs, () => done(`no connection within ${check.timeoutMs} ms`));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err.message));
  });
}

/** GETs the URL; ok when the status is the expected one and, if asked, the body matches. */
export async function httpCheck(check: Extract<CheckConfig, { type: 'http' }>): Promise<CheckResult> {
  const start = performance.now();
  const url = new URL(check.url);
  // node:http and node:https load on the first HTTP check: several MB an agent without one saves.
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number | undefined, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({
        name: check.name,
        kind: 'http',
        target: check.url.slice(0, Limits.text),
        ok: error === undefined,
        latencyMs: elapsed(start),
        ...(status === undefined ? {} : { status }),
        ...(error === undefined ? {} : { error: clip(error) }),
      });
    };
    // One deadline for connect, headers and body alike.
    const timer = setTimeout(
      () => done(undefined, `no answer within ${check.timeoutMs} ms`),
      check.timeoutMs,
    );
    const req = request(
      url,
      { method: 'GET', headers: { 'user-agent': 'pantau-agent' }, rejectUnauthorized: !check.insecure },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status !== check.expectStatus) {
          done(status, `expected status ${check.expectStatus}, got ${status}`);
          return;
        }
        if (!check.bodyMatch) {
          done(status);
          return;
        }
        const pattern = check.bodyMatch;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (pattern.test(body)) done(status);
          else if (body.length >= BODY_LIMIT)
            done(status, `body does not match ${pattern} (first ${BODY_LIMIT} bytes)`);
        });
        res.on('end', () => {
          if (pattern.test(body)) done(status);
          else done(status, `body does not match ${pattern}`);
        });
        res.on('error', (err) => done(status, err.message));
      },
    );
    req.on('error', (err) => done(undefined, err.message));
    req.end();
  });
}

/** Runs every configured check at once; each has its own timeout and never throws. */
export function runChecks(checks: readonly CheckConfig[]): Promise<CheckResult[]> {
  return Promise.all(checks.map((c) => (c.type === 'tcp' ? tcpCheck(c) : httpCheck(c))));
}
