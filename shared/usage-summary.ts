import { DAY_MS } from "./limits";
import type { Caps, EnforcementMode } from "./plans";

/** One UTC day of history, as the summary needs it. */
export interface SummaryDay {
  /** Unix ms of the UTC day's start. */
  dayMs: number;
  /** Calls that day. */
  calls: number;
  /** The busiest minute of that day, in calls. */
  peakMinute: number;
}

export interface PeakSummaryInput {
  /** Daily history, any order; only the 7 UTC days ending with today are read. */
  days: readonly SummaryDay[];
  /** Unix ms now; decides which day is "today". */
  nowMs: number;
  planName: string;
  caps: Pick<Caps, "minute" | "day">;
  enforcement: EnforcementMode;
  /** Hours between the notice and the first refusal in enforce mode. */
  graceHours?: number;
  /** BCP 47 locale for the weekday; undefined = the runtime's (the browser's) locale. */
  locale?: string;
}

export interface PeakSummary {
  /** over: a peak exceeded a cap; within: under every cap; uncapped: no minute or day cap; quiet: no calls this week. */
  state: "over" | "within" | "uncapped" | "quiet";
  /** "Your peak this week: 268 calls/min on Tuesday — 4.5× your Starter cap." */
  headline: string;
  /** What happens about it, or null when nothing is over. */
  consequence: string | null;
}

export const WEEK_DAYS = 7;
const DEFAULT_GRACE_HOURS = 72;
const count = new Intl.NumberFormat("en-US");

/** "4.5×"; whole numbers from 10× up, where a decimal adds nothing. */
function formatRatio(ratio: number): string {
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${(Math.round(ratio * 10) / 10).toFixed(1)}×`;
}

function whenPhrase(dayMs: number, todayMs: number, locale: string | undefined): string {
  if (dayMs === todayMs) return "today";
  if (dayMs === todayMs - DAY_MS) return "yesterday";
  // Day buckets are UTC days: name the weekday of that UTC date, not of the viewer's time zone.
  return `on ${new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" }).format(dayMs)}`;
}

/** What happens to calls over a cap, per enforcement mode. */
export function describeConsequence(mode: EnforcementMode, graceHours = DEFAULT_GRACE_HOURS): string {
  switch (mode) {
    case "shadow":
      return "Nothing changes yet: calls over the cap are still served.";
    case "enforce":
      return `Calls over the cap are refused after a notice and a ${graceHours}-hour grace period.`;
    case "off":
      return "Your calls are metered only: none are refused for a cap.";
  }
}

/** The busiest record by `pick`; ties go to the most recent day. */
function busiest(days: readonly SummaryDay[], pick: (d: SummaryDay) => number): SummaryDay | undefined {
  let best: SummaryDay | undefined;
  for (const d of days) if (!best || pick(d) > pick(best) || (pick(d) === pick(best) && d.dayMs > best.dayMs)) best = d;
  return best;
}

/**
 * The plain sentence above the usage charts: the week's peak against the plan's cap, and what
 * happens about it. The minute cap is the yardstick; the day cap when there is none, or when only
 * the day went over.
 */
export function summarizePeak(input: PeakSummaryInput): PeakSummary {
  const todayMs = input.nowMs - (((input.nowMs % DAY_MS) + DAY_MS) % DAY_MS);
  const fromMs = todayMs - (WEEK_DAYS - 1) * DAY_MS;
  const week = input.days.filter((d) => d.dayMs >= fromMs && d.dayMs <= todayMs && d.calls > 0);
  const peakMinuteDay = busiest(week, (d) => d.peakMinute);
  const peakDay = busiest(week, (d) => d.calls);
  if (!peakMinuteDay || !peakDay) {
    return { state: "quiet", headline: "No calls in the last 7 days.", consequence: null };
  }

  const { minute: minuteCap, day: dayCap } = input.caps;
  const plan = input.planName;
  const when = (d: SummaryDay) => whenPhrase(d.dayMs, todayMs, input.locale);
  const calls = (n: number) => `${count.format(n)} ${n === 1 ? "call" : "calls"}`;
  const perMinute = `${calls(peakMinuteDay.peakMinute)}/min ${when(peakMinuteDay)}`;
  const perDay = `${calls(peakDay.calls)}/day ${when(peakDay)}`;
  const consequence = describeConsequence(input.enforcement, input.graceHours);

  if (minuteCap !== undefined && peakMinuteDay.peakMinute > minuteCap) {
    return { state: "over", headline: `Your peak this week: ${perMinute} — ${formatRatio(peakMinuteDay.peakMinute / minuteCap)} your ${plan} cap.`, consequence };
  }
  if (dayCap !== undefined && peakDay.calls > dayCap) {
    const which = minuteCap === undefined ? "cap" : "daily cap";
    return { state: "over", headline: `Your peak this week: ${perDay} — ${formatRatio(peakDay.calls / dayCap)} your ${plan} ${which}.`, consequence };
  }
  if (minuteCap !== undefined) {
    const caps = dayCap === undefined ? `cap of ${count.format(minuteCap)} calls/min` : `caps of ${count.format(minuteCap)} calls/min and ${count.format(dayCap)} calls/day`;
    return { state: "within", headline: `Your peak this week: ${perMinute}, within your ${plan} ${caps}.`, consequence: null };
  }
  if (dayCap !== undefined) {
    return { state: "within", headline: `Your peak this week: ${perDay}, within your ${plan} cap of ${count.format(dayCap)} calls/day.`, consequence: null };
  }
  return { state: "uncapped", headline: `Your peak this week: ${perMinute}. Your ${plan} plan has no per-minute or daily cap.`, consequence: null };
}
