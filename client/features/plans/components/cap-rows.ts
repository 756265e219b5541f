import { WINDOWS, WINDOW_LABELS, type MeterTerms, type Plan, type WindowName } from "../../../../shared/plans";
import type { PlanComparisonData } from "../use-plan-comparison";
import { meterPricingText, overageText } from "./plan-text";

/** One row of caps to compare: a window (of a meter, when the catalog has several). */
export interface CapRow {
  key: string;
  /** "Calls per minute"; "MCP tool calls per minute" with several meters. */
  label: string;
  window: WindowName;
  /** The customer's own figure in that window (their busiest minute, busiest day, or month). */
  peak: number;
  /** The plan's terms for the row's meter (a `Plan` is its default meter's). */
  terms: (plan: Plan) => MeterTerms;
}

const UNLIMITED: MeterTerms = { caps: {}, metered: false };

/**
 * The caps the comparison shows: one row per window, as always, with a single meter; one row per
 * meter and window, each named by the meter's unit, when the catalog has several.
 */
export function capRows(data: PlanComparisonData): CapRow[] {
  if (!data.meters || data.meters.length < 2) {
    return WINDOWS.map((w) => ({ key: w, label: `Calls ${WINDOW_LABELS[w].per}`, window: w, peak: data.peaks[w], terms: (p) => p }));
  }
  return data.meters.flatMap((m, i) =>
    WINDOWS.map((w) => ({
      key: `${m.id}-${w}`,
      label: `${m.unit} ${WINDOW_LABELS[w].per}`,
      window: w,
      peak: m.peaks[w],
      terms: (p: Plan) => (i === 0 ? p : (p.meters[m.id] ?? UNLIMITED)),
    })),
  );
}

/** The plan's usage pricing: the default meter's words with a single meter; each priced meter's, by unit, with several. */
export function pricingLines(data: PlanComparisonData, plan: Plan): string[] {
  if (!data.meters || data.meters.length < 2) {
    const text = overageText(plan);
    return text ? [text] : [];
  }
  return data.meters.flatMap((m, i) => {
    const text = meterPricingText(i === 0 ? plan : (plan.meters[m.id] ?? UNLIMITED), plan.currency);
    return text ? [`${m.unit}: ${text}`] : [];
  });
}
