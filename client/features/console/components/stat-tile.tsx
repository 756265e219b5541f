import type { ReactNode } from "react";

/** A headline figure: what it is, the value, and a line of context. */
export function StatTile({ label, value, detail, tone = "neutral", testId }: { label: string; value: ReactNode; detail?: ReactNode; tone?: "neutral" | "good" | "warn" | "bad"; testId?: string }) {
  const accent = { neutral: "border-t-slate-300", good: "border-t-emerald-500", warn: "border-t-amber-500", bad: "border-t-rose-600" }[tone];
  return (
    <div className={`rounded-xl border border-t-4 border-slate-200 bg-white px-4 py-3 shadow-sm ${accent}`} data-testid={testId}>
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tracking-tight text-slate-900 tabular-nums">{value}</dd>
      {detail && <dd className="mt-0.5 text-xs text-slate-600">{detail}</dd>}
    </div>
  );
}
