import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { lastDaysStartMs } from "../../../lib/format";
import { withParams } from "./search-params";

/**
 * A range of whole UTC days ending today, kept in the URL (?days=7) so a view can be shared: "7 days"
 * is today and the six days before, seven day rows, as the usage page's "last 30 days" is thirty.
 * The start is computed once per choice, so the query key stays the same while the page is open.
 */
export function useDaysRange(options: readonly number[], fallback: number) {
  const [params, setParams] = useSearchParams();
  const asked = Number(params.get("days"));
  const days = options.includes(asked) ? asked : fallback;
  const fromMs = useMemo(() => lastDaysStartMs(Date.now(), days), [days]);
  const setDays = (d: number) => setParams((p) => withParams(p, { days: d === fallback ? null : String(d) }), { replace: true });
  return { days, fromMs, setDays };
}

export function rangeLabel(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}
