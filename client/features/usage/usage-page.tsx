import { lazy, Suspense, useDeferredValue } from "react";
import { Link } from "react-router";
import { formatIntervalPrice } from "../../../shared/billing-interval";
import type { EnforcementMode } from "../../../shared/plans";
import { paths } from "../../app/paths";
import { formatCount, formatDate, formatTime } from "../../lib/format";
import { useCatalog } from "../../lib/use-catalog";
import { Badge } from "../../ui/badge";
import { Card } from "../../ui/card";
import { PageHeader } from "../../ui/page-header";
import { useBanner } from "../notices/use-banner";
import { ErrorState } from "../../ui/states";
import { UsageMeter } from "../../ui/usage-meter";
import { FirstCall } from "./components/first-call";
import { PeakSummary } from "./components/peak-summary";
import { ChartsSkeleton, HistorySkeleton, UsagePageSkeleton } from "./components/usage-skeleton";
import { useUsageHistory } from "./use-usage-history";
import { useUsageOverview, type UsageOverviewData } from "./use-usage-overview";

// The charts are their own chunk; the route's loader fetches it beside the page's (client/app/router.tsx).
const UsageCharts = lazy(async () => ({ default: (await import("./components/usage-charts")).UsageCharts }));

const MODE_TEXT: Record<EnforcementMode, { label: string; tone: "neutral" | "warn" | "bad"; text: string }> = {
  off: { label: "Metering only", tone: "neutral", text: "Your calls are counted but never limited by your plan's caps." },
  shadow: { label: "Caps not enforced yet", tone: "warn", text: "Calls over a cap are still served and counted as “would be throttled”. Nothing changes without a notice first." },
  enforce: { label: "Caps enforced", tone: "bad", text: "Calls over a cap are refused after you have been notified and the grace period has passed." },
};

const overPhrase = (l: { window: string }) => (l.window === "month" ? "for the billing month" : `per ${l.window}`);

/**
 * The usage page. With a single meter it reads as it always did ("Calls per minute", one Today
 * card); with several, each meter has its own part, its unit as the heading: its caps, its counts
 * today, and its charts.
 */
export function UsagePage() {
  const overview = useUsageOverview();
  // The page is drawn from a deferred copy of the answer: when it arrives (or refreshes), React draws
  // the meters, the charts and their tables in slices it can interrupt rather than in one long task,
  // so a phone's main thread is never blocked for the whole page (Lighthouse's TBT).
  const data = useDeferredValue(overview.data);
  // The notice banner above the page (the portal's frame) arrives on its own request: until it has,
  // only the heading is drawn, so the banner pushes down one line rather than the whole skeleton.
  const banner = useBanner();
  if (banner.isPending) return <UsagePageSkeleton headingOnly />;
  if (data === undefined) {
    if (overview.isError) return <><PageHeader title="Usage" /><ErrorState message={overview.error.message} onRetry={() => overview.refetch()} /></>;
    return <UsagePageSkeleton />;
  }
  const mode = MODE_TEXT[data.account.enforcement];
  const over = data.limits.filter((l) => l.state === "over");
  const today = data.today;
  const meters = data.meters.length > 1 ? data.meters : null;
  const overByMeter = meters?.flatMap((m) => m.limits.filter((l) => l.state === "over").map((l) => `for ${m.unit} ${overPhrase(l)}`)) ?? [];
  const todayDescription =
    data.planStartedTodayAtMs !== null
      ? `Calls since 00:00 UTC · your ${data.plan.name} plan started at ${formatTime(data.planStartedTodayAtMs)}: calls before that were counted against your previous plan's caps`
      : "Calls since 00:00 UTC";

  return (
    <>
      <PageHeader
        title="Usage"
        description={
          <>
            {data.account.name} · <span className="font-medium text-slate-800">{data.plan.name}</span> plan ({formatIntervalPrice(data.billing.priceMinor, data.plan.currency, data.billing.interval)}) · billing period{" "}
            {formatDate(data.billing.period.startMs)} – {formatDate(data.billing.period.endMs - 1)}
          </>
        }
        actions={
          <Link to={paths.plans} className="rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
            Compare plans
          </Link>
        }
      />

      <div className="mb-6 flex flex-wrap items-center gap-3 rounded-xl border border-slate-200 bg-white px-4 py-3 text-sm shadow-sm">
        <Badge tone={mode.tone}>{mode.label}</Badge>
        <p className="text-slate-700">{mode.text}</p>
      </div>

      {!meters && over.length > 0 && (
        <p className="mb-4 text-sm text-slate-700" data-testid="usage-summary">
          You are over your {data.plan.name} cap {over.map(overPhrase).join(" and ")}.{" "}
          <Link to={paths.plans} className="font-medium text-brand-700 underline">See which plan fits your traffic</Link>.
        </p>
      )}
      {meters && overByMeter.length > 0 && (
        <p className="mb-4 text-sm text-slate-700" data-testid="usage-summary">
          You are over your {data.plan.name} cap {overByMeter.join(" and ")}.{" "}
          <Link to={paths.plans} className="font-medium text-brand-700 underline">See which plan fits your traffic</Link>.
        </p>
      )}

      {!meters && (
        <section aria-labelledby="caps-heading" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {/* Named for the headings' outline (each meter is an h3); the meters speak for themselves on screen. */}
          <h2 id="caps-heading" className="sr-only">Caps</h2>
          {data.limits.map((status) => (
            <UsageMeter key={status.window} status={status} nowMs={data.nowMs} periodStartMs={data.period.startMs} />
          ))}
        </section>
      )}
      {meters?.map((m) => (
        <section key={m.id} aria-labelledby={`caps-${m.id}-heading`} className="mb-6" data-testid={`meter-section-${m.id}`}>
          <h2 id={`caps-${m.id}-heading`} className="mb-3 text-lg font-semibold tracking-tight text-slate-900">{m.unit}</h2>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {m.limits.map((status) => (
              <UsageMeter key={status.window} status={status} nowMs={data.nowMs} periodStartMs={data.period.startMs} meter={m} />
            ))}
          </div>
        </section>
      ))}

      <UsageHistorySection overview={data} />

      <Card title="Today" description={meters ? todayDescription.replace(/^Calls/, "Usage") : todayDescription} className="mt-6">
        {!meters && <TodayStats today={today} />}
        {meters?.map((m) => (
          <div key={m.id} className="mt-4 first:mt-0" data-testid={`today-${m.id}`}>
            <h3 className="mb-2 text-sm font-semibold text-slate-800">{m.unit}</h3>
            <TodayStats today={m.today} />
          </div>
        ))}
      </Card>
    </>
  );
}

function TodayStats({ today }: { today: UsageOverviewData["today"] }) {
  return (
    <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
      <Stat label="Served within cap" value={today.allowed} />
      <Stat label="Would be throttled" value={today.wouldThrottle} hint="Served in shadow mode, over a cap" />
      <Stat label="Refused for a cap" value={today.throttled} />
      <Stat label="Refused by safety limit" value={today.ceiling} />
    </dl>
  );
}

function UsageHistorySection({ overview }: { overview: UsageOverviewData }) {
  const history = useUsageHistory();
  // The charts name the plans of days spent on an earlier one.
  const catalog = useCatalog();
  return (
    <section aria-labelledby="history-heading" className="mt-8">
      <h2 id="history-heading" className="mb-3 text-lg font-semibold tracking-tight text-slate-900">History</h2>
      {(history.isPending || (history.data?.hasCalls && catalog.isPending)) && <HistorySkeleton />}
      {history.isError && <ErrorState title="We could not load your usage history" message={history.error.message} onRetry={() => history.refetch()} />}
      {history.data?.hasCalls && !catalog.data && catalog.isError && <ErrorState title="We could not load your usage history" message={catalog.error.message} onRetry={() => catalog.refetch()} />}
      {history.data && !history.data.hasCalls && <FirstCall demoApi={history.data.demoApi} />}
      {history.data?.hasCalls && catalog.data && (
        <div className="space-y-6">
          {history.data.meters.length > 1 ? (
            // Each meter's charts under its unit; the week's peak sentence is about the default meter's caps, so it heads its part.
            history.data.meters.map((m, i) => (
              <section key={m.id} aria-labelledby={`history-${m.id}-heading`} className="space-y-3">
                <h3 id={`history-${m.id}-heading`} className="text-base font-semibold text-slate-900">{m.unit}</h3>
                {i === 0 && <PeakSummary history={history.data!} planName={overview.plan.name} caps={overview.plan.caps} enforcement={overview.account.enforcement} />}
                <Suspense fallback={<ChartsSkeleton />}>
                  <UsageCharts history={{ ...history.data!, minutes: m.minutes, days: m.days, caps: m.caps }} catalog={catalog.data!} meter={m} />
                </Suspense>
              </section>
            ))
          ) : (
            <>
              <PeakSummary history={history.data} planName={overview.plan.name} caps={overview.plan.caps} enforcement={overview.account.enforcement} />
              <Suspense fallback={<ChartsSkeleton />}>
                <UsageCharts history={history.data} catalog={catalog.data} />
              </Suspense>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function Stat({ label, value, hint }: { label: string; value: number; hint?: string }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 text-xl font-semibold text-slate-900" title={hint}>{formatCount(value)}</dd>
    </div>
  );
}
