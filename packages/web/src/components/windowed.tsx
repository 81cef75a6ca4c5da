import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Renders only the rows near the viewport (plus a margin), so a list of thousands of hosts
 * costs the browser a few dozen rows. Rows have a fixed height; the page itself scrolls.
 */
export function Windowed<T>(props: {
  items: T[];
  rowHeight: number;
  row: (item: T, index: number) => ComponentChildren;
  overscan?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: window.innerHeight });
  useEffect(() => {
    let frame = 0;
    const measure = () => {
      frame = 0;
      const box = ref.current?.getBoundingClientRect();
      if (box) setView({ top: -box.top, height: window.innerHeight });
    };
    const onScroll = () => {
      frame ||= requestAnimationFrame(measure);
    };
    measure();
    addEventListener('scroll', onScroll, { passive: true });
    addEventListener('resize', onScroll);
    return () => {
      removeEventListener('scroll', onScroll);
      removeEventListener('resize', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  const overscan = props.overscan ?? 10;
  const first = Math.max(0, Math.floor(view.top / props.rowHeight) - overscan);
  const last = Math.min(props.items.length, Math.ceil((view.top + view.height) / props.rowHeight) + overscan);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) rows.push(props.row(props.items[i]!, i));
  return (
    <div ref={ref} class="windowed" style={{ height: `${props.items.length * props.rowHeight}px` }}>
      <div style={{ transform: `translateY(${first * props.rowHeight}px)` }}>{rows}</div>
    </div>
  );
}
