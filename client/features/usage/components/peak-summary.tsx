import { Link } from "react-router";
import type { Caps, EnforcementMode } from "../../../../shared/plans";
import { summarizePeak } from "../../../../shared/usage-summary";
import { paths } from "../../../app/paths";
import type { UsageHistoryData } from "../use-usage-history";

const TONE = {
  over: "border-amber-200 bg-amber-50 text-amber-950",
  within: "border-emerald-200 bg-emerald-50 text-emerald-950",
  uncapped: "border-slate-200 bg-white text-slate-800",
  quiet: "border-slate-200 bg-white text-slate-800",
} as const;

/** The week's peak against the plan's cap in one sentence, and what happens about it. */
export function PeakSummary({ history, planName, caps, enforcement }: { history: UsageHistoryData; planName: string; caps: Caps; enforcement: EnforcementMode }) {
  const summary = summarizePeak({
    days: history.days.map((d) => ({ dayMs: d.startMs, calls: d.allowed + d.wouldThrottle + d.throttled, peakMinute: d.peakMinute })),
    nowMs: history.nowMs,
    planName,
    caps,
    enforcement,
    graceHours: history.graceHours,
  });
  return (
    <div className={`rounded-xl border px-4 py-3.5 shadow-sm ${TONE[summary.state]}`} data-testid="peak-summary">
      <p className="font-medium">{summary.headline}</p>
      {(summary.consequence || summary.state === "over") && (
        <p className="mt-1 text-sm">
          {summary.consequence}{" "}
          {summary.state === "over" && (
            <Link to={paths.plans} className="font-medium text-brand-700 underline underline-offset-2 hover:text-brand-600">
              See the plan that fits
            </Link>
          )}
        </p>
      )}
    </div>
  );
}
