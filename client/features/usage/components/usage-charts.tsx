import type { Catalog } from "../../../../shared/catalog";
import { DAY_MS, MINUTE_MS } from "../../../../shared/limits";
import { formatClock, formatCount, formatDayLong, formatDayShort, formatTime, formatWeekdayTime } from "../../../lib/format";
import type { UsageHistoryData } from "../use-usage-history";
import { totalOf, type UsageCounts } from "./series";
import { UsageBarChart, type ChartPoint } from "./usage-bar-chart";

// Minutes and days in UTC, as the caps count them and the meters' reset times say (client/lib/format.ts).

const served = (p: UsageCounts) => p.allowed + p.wouldThrottle;

/** "4,016 calls in the last 30 days. Busiest day: …. 30 of 30 days went over your cap of 1,000." ("MCP tool calls" for another meter's `calls`). */
function describe(points: ChartPoint[], cap: number | null, bucket: (ms: number) => string, noun: string, range: string, calls = "calls"): string {
  const total = points.reduce((s, p) => s + totalOf(p), 0);
  if (total === 0) return `No ${calls} ${range}.`;
  const peak = points.reduce((best, p) => (totalOf(p) > totalOf(best) ? p : best));
  const parts = [`${formatCount(total)} ${calls} ${range}.`, `Busiest ${noun}: ${bucket(peak.startMs)}, ${formatCount(totalOf(peak))} ${calls}.`];
  const current = points.filter((p) => !p.note);
  if (cap !== null) {
    const over = current.filter((p) => served(p) > cap).length;
    const which = current.length < points.length ? ` on your current plan` : "";
    parts.push(over === 0 ? `Every ${noun}${which} was within your cap of ${formatCount(cap)}.` : `${over} of ${current.length} ${noun}s${which} went over your cap of ${formatCount(cap)}.`);
  }
  if (current.length < points.length) parts.push(`${points.length - current.length} ${noun}s were on an earlier plan, counted against its caps.`);
  const wouldThrottle = points.reduce((s, p) => s + p.wouldThrottle, 0);
  const throttled = points.reduce((s, p) => s + p.throttled, 0);
  if (wouldThrottle > 0) parts.push(`${formatCount(wouldThrottle)} ${calls} would have been throttled.`);
  if (throttled > 0) parts.push(`${formatCount(throttled)} ${calls} were refused for a cap.`);
  return parts.join(" ");
}

/**
 * A day spent (wholly or partly) on another plan was decided against that plan's caps: its calls are
 * shown as "on an earlier plan", not coloured as over or within today's caps.
 */
function dayPoints(history: UsageHistoryData, catalog: Catalog): ChartPoint[] {
  return history.days.map((d) => {
    const others = (d.plans ?? [history.planId]).filter((id) => id !== history.planId);
    if (others.length === 0) return { ...d, otherPlan: 0 };
    const names = (d.plans ?? []).map((id) => catalog.nameOf(id));
    return {
      startMs: d.startMs,
      allowed: 0,
      wouldThrottle: 0,
      throttled: 0,
      ceiling: d.ceiling,
      otherPlan: d.allowed + d.wouldThrottle + d.throttled,
      note: names.length > 1 ? `Switched plans that day (${names.join(" → ")})` : `On the ${names[0]} plan (its caps applied)`,
    };
  });
}

/**
 * The last-hour and last-30-days charts. Its own chunk: the charting library loads after the meters.
 * `meter`: one of several meters' charts, named by its unit (absent: the words say "calls", as with a single meter).
 */
export function UsageCharts({ history, catalog, meter }: { history: UsageHistoryData; catalog: Catalog; meter?: { id: string; unit: string } }) {
  const { caps } = history;
  const calls = meter?.unit ?? "calls";
  const Calls = calls.charAt(0).toUpperCase() + calls.slice(1);
  const testId = (id: string) => (meter ? `${id}-${meter.id}` : id);
  const minutes = history.minutes.map((m) => ({ ...m, otherPlan: 0 }));
  const days = dayPoints(history, catalog);
  const lastMinute = minutes.at(-1)?.startMs ?? 0;
  const today = days.at(-1)?.startMs ?? 0;
  // Every 15 minutes back from now, and every 7 days back from today, so the latest bucket is always labelled.
  const minuteTicks = [45, 30, 15, 0].map((n) => lastMinute - n * MINUTE_MS);
  const dayTicks = [28, 21, 14, 7, 0].map((n) => today - n * DAY_MS);

  return (
    <div className="grid gap-6">
      <UsageBarChart
        testId={testId("chart-minutes")}
        title={meter ? `${Calls}, last 60 minutes` : "Last 60 minutes"}
        subtitle={`${Calls} per minute · times in UTC`}
        points={minutes}
        cap={caps.minute}
        unit="min"
        formatTick={formatClock}
        formatBucket={formatWeekdayTime}
        ticks={minuteTicks}
        summary={describe(minutes, caps.minute, formatTime, "minute", "in the last 60 minutes", calls)}
        emptyText={`No ${calls} in the last 60 minutes`}
      />
      <UsageBarChart
        testId={testId("chart-days")}
        title={meter ? `${Calls}, last 30 days` : "Last 30 days"}
        subtitle={`${Calls} per day · UTC days, as your daily cap counts them`}
        points={days}
        cap={caps.day}
        unit="day"
        formatTick={formatDayShort}
        formatBucket={formatDayLong}
        ticks={dayTicks}
        summary={describe(days, caps.day, formatDayLong, "day", "in the last 30 days", calls)}
        emptyText={`No ${calls} in the last 30 days`}
      />
    </div>
  );
}
