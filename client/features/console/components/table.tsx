import type { ReactNode, ThHTMLAttributes, TdHTMLAttributes } from "react";

/**
 * Dense, readable tables: the wrapper scrolls sideways on a narrow screen (and is focusable, so
 * keyboard users can scroll it too); numbers are right-aligned in tabular figures.
 */
export function TableFrame({ label, children, minWidth = 720, testId }: { label: string; children: ReactNode; minWidth?: number; testId?: string }) {
  return (
    <div className="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm" role="region" aria-label={label} tabIndex={0} data-testid={testId}>
      <table className="w-full text-left text-sm" style={{ minWidth }}>
        {children}
      </table>
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
