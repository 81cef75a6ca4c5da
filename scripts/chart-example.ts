// Writes the example chart in docs/images/ from a day of made-up CPU numbers:
//   node scripts/chart-example.ts
import { writeFileSync } from 'node:fs';
import { renderChartPng } from '../packages/collector/src/charts/render.ts';

const to = Date.UTC(2026, 2, 3, 14, 0);
const from = to - 86_400_000;
const ts = Array.from({ length: 288 }, (_, i) => from + i * 300_000);
// A daily load curve with a busy evening and a nightly backup burst in iowait.
const busy = ts.map(
  (_, i) => 18 + 22 * Math.max(0, Math.sin(((i - 60) / 288) * 2 * Math.PI)) + 4 * Math.sin(i / 3),
);
const iowait = ts.map((_, i) => (i > 20 && i < 40 ? 12 + 3 * Math.sin(i) : 1.5 + Math.sin(i / 5)));
const png = renderChartPng({
  title: 'CPU · web-1',
  subtitle: 'last 24h · 1-min rollups, 5-min averages · Europe/Berlin',
  unit: '%',
  lines: [
    { name: 'busy', ts, values: busy },
    { name: 'iowait', ts, values: iowait },
  ],
  from,
  to,
  timeZone: 'Europe/Berlin',
});
writeFileSync(new URL('../docs/images/chart-cpu-24h.png', import.meta.url), png);
console.log(`wrote docs/images/chart-cpu-24h.png (${png.length} bytes)`);
