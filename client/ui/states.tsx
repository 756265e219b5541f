import type { ReactNode } from "react";

/**
 * A loading placeholder. A skeleton should take the room of what replaces it (no layout shift when
 * the content arrives): `rowClassName` sizes each row (default `h-20`), or `rows` lists each row's
 * classes; `className` lays the rows out (default a column with `space-y-3`).
 */
export function LoadingBlock({
  label = "Loading…",
  rows = 3,
  rowClassName = "h-20",
  className = "space-y-3",
}: {
  label?: string;
  rows?: number | string[];
  rowClassName?: string;
  className?: string;
}) {
  return (
    <div role="status" aria-live="polite" className={className}>
      <span className="sr-only">{label}</span>
      {(typeof rows === "number" ? Array.from({ length: rows }, () => rowClassName) : rows).map((size, i) => (
        <div key={i} className={`${size} animate-pulse rounded-xl bg-slate-200/70`} />
      ))}
    </div>
  );
}

export function ErrorState({ title = "We could not load this page", message, onRetry }: { title?: string; message?: string; onRetry?: () => void }) {
  return (
    <div role="alert" className="rounded-xl border border-rose-200 bg-rose-50 p-5 text-rose-900">
      <p className="font-semibold">{title}</p>
      {message && <p className="mt-1 text-sm">{message}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry} className="mt-3 rounded-lg bg-white px-3 py-1.5 text-sm font-medium text-rose-800 ring-1 ring-rose-300 hover:bg-rose-100">
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center">
      <p className="font-semibold text-slate-900">{title}</p>
      {children && <div className="mx-auto mt-2 max-w-prose text-sm text-slate-600">{children}</div>}
    </div>
  );
}
