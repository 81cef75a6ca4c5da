// Parameter patterns: re2js (the engine both sides use) against V8's RegExp and, when installed
// next to this checkout (`pnpm add -w re2` for a run; it is a native addon, not a dependency),
// the `re2` package. Prints µs per match (median of 5 runs) and what loading re2js costs.
//   node bench/patterns/run.ts
import { createRequire } from 'node:module';
import { HOST_PATTERN } from '@pantau/shared';

const require = createRequire(import.meta.filename);
// re2js is @pantau/shared's dependency, so it is found from there.
const fromShared = createRequire(new URL(import.meta.resolve('@pantau/shared')));
const rssBefore = process.memoryUsage().rss;
const loadStarted = performance.now();
const { RE2JS } = fromShared('re2js') as {
  RE2JS: { compile(source: string): { testExact(value: string): boolean } };
};
const loadMs = performance.now() - loadStarted;
const rssAfter = process.memoryUsage().rss;

type Re2Class = new (source: string, flags: string) => { test(value: string): boolean };
let RE2: Re2Class | undefined;
try {
  RE2 = require('re2') as Re2Class;
} catch {
  RE2 = undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** µs per call, median of 5 runs of `n` calls. */
function perCall(n: number, fn: () => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) fn();
    runs.push(((performance.now() - started) * 1000) / n);
  }
  return median(runs);
}

const cases: [string, string, string, boolean][] = [
  ['host name', HOST_PATTERN, 'web-prod-eu-1.example.com', true],
  ['(a+)+b, 27 a + !', '(a+)+b', `${'a'.repeat(27)}!`, false],
  ['(a+)+b, 5,000 a + !', '(a+)+b', `${'a'.repeat(5000)}!`, false],
];
console.log(`re2js load: ${loadMs.toFixed(1)} ms, +${((rssAfter - rssBefore) / 1e6).toFixed(1)} MB RSS`);
console.log('case                   | re2js µs | re2 µs | RegExp µs');
for (const [name, source, value, runNative] of cases) {
  const anchored = `^(?:${source})$`;
  const j = RE2JS.compile(source);
  const re2js = perCall(2_000, () => j.testExact(value));
  const r = RE2 ? new RE2(anchored, 'u') : undefined;
  const re2 = r ? perCall(2_000, () => r.test(value)) : Number.NaN;
  const n = new RegExp(anchored, 'u');
  const native = runNative ? perCall(2_000, () => n.test(value)) : Number.NaN;
  const cell = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
  console.log(
    `${name.padEnd(22)} | ${cell(re2js).padStart(8)} | ${cell(re2).padStart(6)} | ${cell(native).padStart(9)}`,
  );
}
