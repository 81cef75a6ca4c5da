import { connect } from 'node:net';
import type { CheckResult } from '@pantau/shared/lite';
import { Limits } from '@pantau/shared/lite';
import { monotonicMs, systemTimers, type Timers } from '../clock.ts';
import type { CheckConfig } from '../config/types.ts';
import { httpGet } from './http-get.ts';
import { round2 } from './procfs.ts';

/** Bytes of an HTTP body read for `bodyMatch`; the rest is not downloaded. */
const BODY_LIMIT = 64 * 1024;

function elapsed(start: number): number {
  return round2(Math.max(0, monotonicMs() - start));
}

function clip(message: string): string {
  return message.slice(0, Limits.text);
}

/** Opens a TCP connection and closes it again; latency is the time to connect. */
export function tcpCheck(check: Extract<CheckConfig, { type: 'tcp' }>): Promise<CheckResult> {
  const target = `${check.host}:${check.port}`;
  const start = monotonicMs();
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
export async function httpCheck(
  check: Extract<CheckConfig, { type: 'http' }>,
  timers: Timers = systemTimers,
): Promise<CheckResult> {
  const start = monotonicMs();
  const result = (status: number | undefined, error?: string): CheckResult => ({
    name: check.name,
    kind: 'http',
    target: check.url.slice(0, Limits.text),
    ok: error === undefined,
    latencyMs: elapsed(start),
    ...(status === undefined ? {} : { status }),
    ...(error === undefined ? {} : { error: clip(error) }),
  });
  let answer: { status: number; body: Buffer };
  try {
    // One deadline for connect, headers and body alike.
    answer = await httpGet(new URL(check.url), {
      timeoutMs: check.timeoutMs,
      insecure: check.insecure,
      bodyLimit: check.bodyMatch ? BODY_LIMIT : 0,
      timers,
    });
  } catch (err) {
    return result(undefined, (err as Error).message);
  }
  const { status, body } = answer;
  if (status !== check.expectStatus)
    return result(status, `expected status ${check.expectStatus}, got ${status}`);
  if (check.bodyMatch && !check.bodyMatch.test(body.toString('utf8'))) {
    const partial = body.length >= BODY_LIMIT ? ` (first ${BODY_LIMIT} bytes)` : '';
    return result(status, `body does not match ${check.bodyMatch}${partial}`);
  }
  return result(status);
}

/** Runs every configured check at once; each has its own timeout and never throws. */
export function runChecks(
  checks: readonly CheckConfig[],
  timers: Timers = systemTimers,
): Promise<CheckResult[]> {
  return Promise.all(checks.map((c) => (c.type === 'tcp' ? tcpCheck(c) : httpCheck(c, timers))));
}
