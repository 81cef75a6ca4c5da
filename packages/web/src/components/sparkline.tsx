/** A tiny SVG line of recent values on a 0–100 scale (CPU or memory %). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 64;
  const h = 18;
  if (values.length < 2) return <svg class="spark" width={w} height={h} role="img" aria-label={label} />;
  const step = w / (values.length - 1);
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(h - (Math.min(Math.max(v, 0), 100) / 100) * h).toFixed(1)}`)
    .join(' ');
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}
