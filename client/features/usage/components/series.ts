/** Calls in one bucket (a minute or a UTC day), by what happened to them. */
export interface UsageCounts {
  allowed: number;
  wouldThrottle: number;
  throttled: number;
  ceiling: number;
  /** Calls of a day spent (wholly or partly) on another plan: decided against that plan's caps, so not coloured against today's. */
  otherPlan: number;
}

/** The stacked series of the usage charts, bottom to top; colours tell apart what happened to a call. */
export const SERIES = [
  { key: "allowed", label: "Served within cap", color: "#6366f1" },
  { key: "wouldThrottle", label: "Would be throttled (not enforced yet)", color: "#f59e0b" },
  { key: "throttled", label: "Throttled (refused for a cap)", color: "#e11d48" },
  { key: "ceiling", label: "Refused by safety limit", color: "#334155" },
  { key: "otherPlan", label: "On an earlier plan", color: "#cbd5e1" },
] as const satisfies ReadonlyArray<{ key: keyof UsageCounts; label: string; color: string }>;

export type SeriesKey = (typeof SERIES)[number]["key"];

export const CAP_LINE_COLOR = "#0f172a";

export function totalOf(p: UsageCounts): number {
  return p.allowed + p.wouldThrottle + p.throttled + p.ceiling + p.otherPlan;
}
