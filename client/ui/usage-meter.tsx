import { percentForBar, type LimitStatus } from "../../shared/limits";
import { WINDOW_LABELS } from "../../shared/plans";
import { formatCount, formatDateTime, formatRelative, isoInstant } from "../lib/format";
import { Badge } from "./badge";

const BAR = { fine: "bg-emerald-500", approaching: "bg-amber-500", over: "bg-rose-600", unlimited: "bg-slate-300" } as const;
const STATE_LABEL = { fine: "Within cap", approaching: "Approaching cap", over: "Over cap", unlimited: "Unlimited" } as const;
const STATE_TONE = { fine: "good", approaching: "warn", over: "bad", unlimited: "neutral" } as const;

/**
 * One cap: used / limit, a bar coloured by state, and when the window resets. `meter`: a cap of one
 * of several meters, named by its unit ("MCP tool calls per minute"); absent, "Calls per minute".
 */
export function UsageMeter({ status, nowMs, periodStartMs, meter }: { status: LimitStatus; nowMs: number; periodStartMs?: number; meter?: { id: string; unit: string } }) {
  // A plan that started mid-period counts its monthly quota from its own start, not the period's.
  const since = status.window === "month" && status.fromMs !== undefined && periodStartMs !== undefined && status.fromMs > periodStartMs ? status.fromMs : null;
  // A month window that spans the billing year (a yearly quota on a yearly price) says so.
  const label = status.window === "month" && status.span === "year" ? { ...WINDOW_LABELS.month, noun: "billing year", per: "per billing year" } : WINDOW_LABELS[status.window];
  const pct = percentForBar(status);
  const title = `${meter ? meter.unit : "Calls"} ${label.per}`;
  const calls = meter ? meter.unit : "calls";
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid={meter ? `meter-${meter.id}-${status.window}` : `meter-${status.window}`}>
      <div className="flex items-start justify-between gap-2">
        <h3 className="text-sm font-medium text-slate-600">{title}</h3>
        <Badge tone={STATE_TONE[status.state]}>{STATE_LABEL[status.state]}</Badge>
      </div>
      <p className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">
        {formatCount(status.used)}
        <span className="text-base font-normal text-slate-500">
          {status.limit === null ? ` ${calls} · no cap` : ` / ${formatCount(status.limit)}`}
        </span>
      </p>
      {status.limit !== null ? (
        <div
          className="mt-3 h-2.5 w-full overflow-hidden rounded-full bg-slate-100"
          role="meter"
          aria-label={title}
          aria-valuemin={0}
          aria-valuemax={status.limit}
          aria-valuenow={Math.min(status.used, status.limit)}
          aria-valuetext={`${formatCount(status.used)} of ${formatCount(status.limit)} (${Math.round((status.ratio ?? 0) * 100)}%)`}
        >
          <div className={`h-full rounded-full ${BAR[status.state]}`} style={{ width: `${pct}%` }} />
        </div>
      ) : (
        <div className="mt-3 h-2.5 w-full rounded-full bg-[repeating-linear-gradient(45deg,#e2e8f0_0_6px,#f1f5f9_6px_12px)]" aria-hidden />
      )}
      {since !== null && (
        <p className="mt-2 text-xs text-slate-600" data-testid="month-since">
          Counted since <time dateTime={isoInstant(since)}>{formatDateTime(since)}</time>, when your current plan started.
        </p>
      )}
      <p className="mt-2 text-xs text-slate-600">
        {status.ratio !== null && <span className="font-medium text-slate-700">{Math.round(status.ratio * 100)}% used · </span>}
        Resets{" "}
        <time dateTime={isoInstant(status.resetAtMs)} title={formatDateTime(status.resetAtMs, { upcoming: true })} className="underline decoration-dotted underline-offset-2">
          {status.window === "minute" ? formatRelative(status.resetAtMs, nowMs) : formatDateTime(status.resetAtMs, { upcoming: true })}
        </time>
      </p>
    </div>
  );
}
