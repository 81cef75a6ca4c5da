import type { ComponentChildren } from 'preact';

/** One column: its heading and what each row shows in it. */
export interface Column<T> {
  /** The heading; '' for the row buttons' column (named "actions" for screen readers only). */
  head: string;
  cell: (row: T) => ComponentChildren;
  /** Class of the cells: `cmd` for long monospace text, `actions` for buttons. */
  class?: string;
  /** A tooltip per cell, e.g. the whole command line of a clipped one. */
  title?: (row: T) => string | undefined;
}

interface DataTableProps<T> {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string | number;
  /** Attributes of each row (`data-*` hooks for tests and scripts). */
  rowProps?: (row: T) => Record<string, string | number>;
  /** Shown instead of the table when there are no rows; without it an empty table shows. */
  empty?: string;
  testid?: string;
}

/** A table that scrolls sideways on a narrow screen instead of widening the page. */
export function DataTable<T>({ rows, columns, rowKey, rowProps, empty, testid }: DataTableProps<T>) {
  if (empty !== undefined && rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <div class="scroll-x">
      <table data-testid={testid}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i}>{c.head || <span class="visually-hidden">actions</span>}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((c, i) => (
                <td key={i} class={c.class} title={c.title?.(row)}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
