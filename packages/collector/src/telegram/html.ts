import { escapeHtml } from '../notify/message.ts';

export { escapeHtml };

/** Telegram refuses texts over 4,096 characters; answers stay under this with room for markup. */
export const MAX_MESSAGE = 4_000;

/** Longest piece of outside text (host names, labels, commands) shown in an answer. */
const MAX_FIELD = 64;

/** Outside text made safe for parse_mode HTML and clipped, e.g. a hostile host name. */
export function text(value: string, max = MAX_FIELD): string {
  const clipped = value.length <= max ? value : `${value.slice(0, max - 1)}…`;
  return escapeHtml(clipped);
}

export function bold(html: string): string {
  return `<b>${html}</b>`;
}

export function code(value: string): string {
  return `<code>${text(value)}</code>`;
}

/**
 * A table in a monospace block: columns padded to their widest cell, numbers aligned right.
 * Cells are outside text; they are clipped and escaped here.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxCell = 24,
  /** Spaces between columns. */
  gap = 2,
): string {
  const clip = (cell: string) => (cell.length <= maxCell ? cell : `${cell.slice(0, maxCell - 1)}…`);
  const all = [header, ...rows].map((row) => row.map((c) => clip(c.replace(/\s+/g, ' '))));
  const widths = header.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? '')].length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,]+\s?\S{0,5}$/.test(r[i] ?? '')),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - [...cell].length));
        return numeric[i] ? pad + cell : cell + pad;
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return `<pre>${escapeHtml(all.map(line).join('\n'))}</pre>`;
}

/**
 * Splits lines into pages that each fit a message: `pages[i]` is the lines of page i.
 * `budget` is what is left of a message after the header and the footer.
 */
export function paginate<T>(
  items: readonly T[],
  size: (item: T) => number,
  budget: number,
  maxItems: number,
): T[][] {
  const pages: T[][] = [];
  let page: T[] = [];
  let used = 0;
  for (const item of items) {
    const n = size(item) + 1;
    if (page.length > 0 && (used + n > budget || page.length >= maxItems)) {
      pages.push(page);
      page = [];
      used = 0;
    }
    page.push(item);
    used += n;
  }
  if (page.length > 0 || pages.length === 0) pages.push(page);
  return pages;
}
