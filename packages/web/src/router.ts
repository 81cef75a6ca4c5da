import { signal } from '@preact/signals';

/** The page path (no query); pages re-render when it changes. */
export const path = signal(location.pathname);
export const query = signal(new URLSearchParams(location.search));

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  sync();
}

function sync(): void {
  path.value = location.pathname;
  query.value = new URLSearchParams(location.search);
  window.scrollTo(0, 0);
}

addEventListener('popstate', sync);

/** Follows same-origin links without reloading the page (middle click and modifiers still open tabs). */
addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest?.('a');
  if (!a || a.target || a.origin !== location.origin || a.hasAttribute('download')) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});

/** `/hosts/:id` style matching; returns the params or null. */
export function match(pattern: string, at: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = at.split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(h);
    else if (w !== h) return null;
  }
  return params;
}
