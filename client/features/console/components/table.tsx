import { useLayoutEffect, useRef, type CSSProperties, type ReactNode, type ThHTMLAttributes, type TdHTMLAttributes } from "react";
import "./table.css";

/** Writes each body cell's column name (from the header row) into data-label, for the phone layout. */
export function labelCells(table: HTMLTableElement): void {
  const names: string[] = [];
  for (const th of Array.from(table.tHead?.rows[0]?.cells ?? [])) {
    const name = (th.textContent ?? "").trim();
    for (let i = 0; i < th.colSpan; i++) names.push(name);
  }
  for (const body of Array.from(table.tBodies)) {
    for (const row of Array.from(body.rows)) {
      let column = 0;
      for (const cell of Array.from(row.cells)) {
        const name = names[column] ?? "";
        if (cell.dataset.label !== name) cell.dataset.label = name;
        column += cell.colSpan;
      }
    }
  }
}

/**
 * A table that is a table from 640px up (at least `minWidth` wide, scrolled sideways inside its
 * frame if it must) and a list of cards below: every cell on its own line, named by its column,
 * so nothing hides off screen on a phone (table.css). Rows added later are labelled too.
 */
export function ResponsiveTable({ minWidth = 0, className = "", children }: { minWidth?: number; className?: string; children: ReactNode }) {
  const ref = useRef<HTMLTableElement>(null);
  useLayoutEffect(() => {
    const table = ref.current;
    if (!table) return;
    labelCells(table);
    const observer = new MutationObserver(() => labelCells(table));
    observer.observe(table, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, []);
  return (
    <table ref={ref} className={`responsive-table w-full text-left ${className}`} style={{ "--table-min-width": `${minWidth}px` } as CSSProperties}>
      {children}
    </table>
  );
}

/**
 * Dense, readable tables: on a wide screen the wrapper scrolls sideways if it must (and is
 * focusable, so keyboard users can scroll it too); numbers are right-aligned in tabular figures.
 * Below 640px the rows become cards (ResponsiveTable).
 */
export function TableFrame({ label, children, minWidth = 720, testId }: { label: string; children: ReactNode; minWidth?: number; testId?: string }) {
  return (
    <div className="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm" role="region" aria-label={label} tabIndex={0} data-testid={testId}>
      <ResponsiveTable minWidth={minWidth} className="text-sm">
        {children}
      </ResponsiveTable>
    </div>
  );
}

export function THead({ children }: { children: ReactNode }) {
  return <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-600">{children}</thead>;
}

export function Th({ numeric, className = "", children, ...rest }: ThHTMLAttributes<HTMLTableCellElement> & { numeric?: boolean }) {
  return (
    <th scope="col" {...rest} className={`whitespace-nowrap px-3 py-2.5 font-semibold ${numeric ? "text-right" : ""} ${className}`}>
      {children}
    </th>
  );
}

export function Td({ numeric, tight, className = "", children, ...rest }: TdHTMLAttributes<HTMLTableCellElement> & { numeric?: boolean; tight?: boolean }) {
  return (
    <td {...rest} className={`${tight ? "px-2" : "px-3"} py-2.5 align-top ${numeric ? "text-right tabular-nums" : ""} ${className}`}>
      {children}
    </td>
  );
}

export type SortDir = "asc" | "desc";

/** A column header that sorts: the button says what a click does, aria-sort says the current order. */
export function SortTh({ label, column, sort, onSort, numeric, hint }: { label: string; column: string; sort: { column: string; dir: SortDir }; onSort: (column: string) => void; numeric?: boolean; hint?: string }) {
  const active = sort.column === column;
  const ariaSort = active ? (sort.dir === "asc" ? "ascending" : "descending") : "none";
  return (
    <th scope="col" aria-sort={ariaSort} className={`px-0.5 py-1.5 align-bottom font-semibold ${numeric ? "text-right" : ""}`} title={hint}>
      <button
        type="button"
        onClick={() => onSort(column)}
        className={`inline-flex items-center gap-1 rounded-md px-1.5 py-1 text-left hover:bg-slate-200/70 hover:text-slate-900 ${active ? "text-slate-900" : ""} ${numeric ? "flex-row-reverse" : ""}`}
      >
        {label}
        <svg viewBox="0 0 12 12" className={`h-3 w-3 ${active ? "text-slate-900" : "text-slate-400"}`} fill="currentColor" aria-hidden>
          {!active || sort.dir === "asc" ? <path d="M6 2 9.5 5.5h-7z" /> : null}
          {!active || sort.dir === "desc" ? <path d="M6 10 2.5 6.5h7z" /> : null}
        </svg>
      </button>
    </th>
  );
}

/** A row for an empty table body. */
export function EmptyRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={colSpan} className="px-3 py-8 text-center text-sm text-slate-600">{children}</td>
    </tr>
  );
}

/** Instead of an empty table: one line saying there is nothing, readable at any width. */
export function EmptyNote({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <p className="rounded-xl border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600" data-testid={testId}>
      {children}
    </p>
  );
}
