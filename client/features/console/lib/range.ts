import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { DAY_MS } from "../../../../shared/limits";
import { withParams } from "./search-params";

/**
 * A range of whole days back from now, kept in the URL (?days=7) so a view can be shared. The start
 * is computed once per choice, so the query key stays the same while the page is open.
 */
export function useDaysRange(options: readonly number[], fallback: number) {
  const [params, setParams] = useSearchParams();
  const asked = Number(params.get("days"));
  const days = options.includes(asked) ? asked : fallback;
  const fromMs = useMemo(() => Math.floor(Date.now() / 60_000) * 60_000 - days * DAY_MS, [days]);
  const setDays = (d: number) => setParams((p) => withParams(p, { days: d === fallback ? null : String(d) }), { replace: true });
  return { days, fromMs, setDays };
}

export function rangeLabel(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}
