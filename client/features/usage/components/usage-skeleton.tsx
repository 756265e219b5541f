import { PageHeader } from "../../../ui/page-header";
import { LoadingBlock } from "../../../ui/states";

/**
 * The usage page's placeholders, each the size of what replaces it (measured with the demo's
 * data: a meter card 140 px, the week's peak summary 78 px, a chart card 333 px, the Today card
 * 161 px), so nothing below moves when the data arrives (Lighthouse's CLS). The heights are the
 * desktop layout's; on a phone the cards stack as the real ones do (the same grid classes).
 */
const PULSE = "animate-pulse rounded-xl bg-slate-200/70";

/** The two charts (last 60 minutes, last 30 days) while the chart library loads. */
export function ChartsSkeleton() {
  return <LoadingBlock label="Loading charts…" className="grid gap-6" rows={["h-[333px]", "h-[333px]"]} />;
}

/** The history section while its data loads: the peak summary, then the two charts. */
export function HistorySkeleton() {
  return <LoadingBlock label="Loading your usage history…" className="space-y-6" rows={["h-[78px]", "h-[333px]", "h-[333px]"]} />;
}

/** The whole page while the overview loads: the header's description line, the mode strip, the caps, the history, Today. */
export function UsagePageSkeleton({ headingOnly = false }: { headingOnly?: boolean }) {
  return (
    <>
      <PageHeader title="Usage" description={<span aria-hidden className={`inline-block h-4 w-96 max-w-full align-middle ${PULSE}`} />} />
      <div role="status" aria-live="polite">
        <span className="sr-only">Loading your usage…</span>
        {!headingOnly && <Placeholders />}
      </div>
    </>
  );
}

function Placeholders() {
  return (
    <>
      <div className={`mb-6 h-[46px] ${PULSE}`} />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <div className={`h-[140px] ${PULSE}`} />
        <div className={`h-[140px] ${PULSE}`} />
        <div className={`h-[140px] ${PULSE}`} />
      </div>
      <div className="mt-8">
        <div className={`mb-3 h-7 w-24 ${PULSE}`} />
        <div className="space-y-6">
          <div className={`h-[78px] ${PULSE}`} />
          <div className={`h-[333px] ${PULSE}`} />
          <div className={`h-[333px] ${PULSE}`} />
        </div>
      </div>
      <div className={`mt-6 h-[161px] ${PULSE}`} />
    </>
  );
}
