import { Link } from "react-router";
import { INTERVAL_WORDS } from "../../../../shared/billing-interval";
import { formatMoney } from "../../../../shared/money";
import { paths } from "../../../app/paths";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { billingDate, billingSpan } from "../billing-text";
import type { BillingOverviewData } from "../use-billing-overview";

/** The plan, its price, the billing period, grandfathered terms and (on overage plans) the overage switch. */
export function CurrentPlan({ data, onOverage }: { data: BillingOverviewData; onOverage: () => void }) {
  const { plan, period, overage } = data;
  const per1000 = (minor: number) => formatMoney(minor, plan.currency);
  const metered = plan.usage.filter((m) => m.billing === "metered");
  const words = INTERVAL_WORDS[data.interval];
  // The interval is said where it is a choice: an account billed yearly, or a plan also sold by the year.
  const showInterval = data.interval === "year" || plan.intervals.length > 1;
  const quotaPer = plan.quotaWindow === "year" ? "a year" : "a month";
  return (
    <section aria-labelledby="current-plan-title" className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="current-plan">
      <div className="flex flex-wrap items-start justify-between gap-4 p-5">
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-slate-600">Current plan</p>
          <h2 id="current-plan-title" className="mt-0.5 text-xl font-semibold tracking-tight text-slate-900">{plan.name}</h2>
          <p className="mt-0.5 text-slate-800">
            <span className="font-semibold">{formatMoney(plan.intervalPriceMinor, plan.currency)}</span>
            <span className="text-slate-600"> {words.a}</span>
            {metered.map((m) => (
              <span key={m.id} className="text-slate-600">
                {" "}
                + {per1000(m.per1000Minor)} per 1,000 {m.noun}
              </span>
            ))}
          </p>
        </div>
        <Link to={paths.planChange} className="inline-flex items-center justify-center rounded-lg bg-white px-3.5 py-2 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
          Change plan
        </Link>
      </div>
      <dl className="divide-y divide-slate-100 border-t border-slate-100 text-sm">
        <div className="flex flex-col gap-0.5 px-5 py-3 sm:flex-row sm:justify-between sm:gap-6">
          <dt className="whitespace-nowrap text-slate-600">Billing period</dt>
          <dd className="text-slate-900 sm:text-right" data-testid="billing-period">
            {billingSpan(period.startMs, period.endMs)} <span className="text-slate-600">· renews on {billingDate(period.endMs)}</span>
          </dd>
        </div>
        {showInterval && (
          <div className="flex flex-col gap-0.5 px-5 py-3 sm:flex-row sm:justify-between sm:gap-6">
            <dt className="whitespace-nowrap text-slate-600">Billed</dt>
            <dd className="text-slate-900 sm:text-right" data-testid="billing-interval">
              {words.label}
              {data.interval === "year" && plan.monthCap !== null && (
                <span className="text-slate-600"> · {plan.quotaWindow === "year" ? "the quota counts over the whole year" : "the quota starts over each month"}</span>
              )}
            </dd>
          </div>
        )}
        {data.grandfatheredUntilMs !== null && (
          <div className="flex flex-col gap-0.5 px-5 py-3 sm:flex-row sm:justify-between sm:gap-6" data-testid="grandfathering">
            <dt className="text-slate-600">Your terms</dt>
            <dd className="text-slate-900">You keep your current terms free until {billingDate(data.grandfatheredUntilMs)}.</dd>
          </div>
        )}
        {overage.available && (
          <div className="flex flex-col items-start gap-2 px-5 py-3" data-testid="overage">
            <dt className="text-slate-600">
              Overage billing: <Badge tone={overage.optedIn ? "brand" : "neutral"}>{overage.optedIn ? "on" : "off"}</Badge>
              <span className="mt-1 block text-xs text-slate-600">
                {overageText(overage.meters, overage.optedIn, quotaPer, per1000)}
              </span>
            </dt>
            <dd>
              <Button variant="secondary" onClick={onOverage}>
                {overage.optedIn ? "Turn off overage billing" : "Turn on overage billing"}
              </Button>
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}

type OverageMeter = BillingOverviewData["overage"]["meters"][number];
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * What the one overage switch does, for every meter it covers: "Calls beyond 10,000 a month are
 * limited. …" with a single meter; each meter's unit, cap and price with several.
 */
function overageText(meters: OverageMeter[], optedIn: boolean, quotaPer: string, per1000: (minor: number) => string): string {
  const beyond = (m: OverageMeter) => `${m.noun} beyond ${m.monthCap?.toLocaleString("en-US")} ${quotaPer}`;
  const [first, ...rest] = meters;
  if (!first) return "";
  if (rest.length === 0) {
    return optedIn
      ? `${capital(beyond(first))} are served and billed at ${per1000(first.per1000Minor)} per 1,000.`
      : `${capital(beyond(first))} are limited. Turn this on to have them served and billed at ${per1000(first.per1000Minor)} per 1,000 instead.`;
  }
  const prices = meters.map((m) => `${m.noun} at ${per1000(m.per1000Minor)} per 1,000`).join(", ");
  const all = meters.map(beyond).join(", ");
  return optedIn ? `${capital(all)} are served and billed: ${prices}.` : `${capital(all)} are limited. Turn this on to have them served and billed instead: ${prices}.`;
}
