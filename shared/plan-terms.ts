import { quotaWindow } from "./billing-interval";
import type { Catalog } from "./catalog";
import { formatMoney } from "./money";
import { WINDOW_LABELS, WINDOWS, type Plan } from "./plans";

const count = new Intl.NumberFormat("en-US");

/** The console, the CLI and a customer's notice about new terms describe a plan version in these words. */
export function termsLine(plan: Plan, catalog: Pick<Catalog, "meters" | "currency">): string {
  const price = plan.prices.month === undefined && plan.prices.year === undefined ? "no price" : [plan.prices.month !== undefined ? (plan.prices.month === 0 ? "Free" : `${formatMoney(plan.prices.month, catalog.currency)}/month`) : null, plan.prices.year !== undefined ? `${formatMoney(plan.prices.year, catalog.currency)}/year` : null].filter(Boolean).join(" or ");
  // Sold by the year with a yearly quota, a month cap is twelve months' allowance on the yearly price: said beside it.
  const yearlyQuota = plan.prices.year !== undefined && quotaWindow(plan, "year") === "year";
  const meters = catalog.meters.map((m) => {
    const t = plan.meters[m.id];
    if (!t) return `${m.unit}: not offered`;
    const cap = (w: (typeof WINDOWS)[number]) => `${count.format(t.caps[w]!)} ${WINDOW_LABELS[w].per}${w === "month" && yearlyQuota ? ` (${count.format(t.caps[w]! * 12)} per billing year on the yearly price)` : ""}`;
    const caps = WINDOWS.filter((w) => t.caps[w] !== undefined).map(cap);
    const billing = t.overagePer1000Minor === undefined ? null : t.metered ? `all billed at ${formatMoney(t.overagePer1000Minor, catalog.currency)} per 1,000` : `${formatMoney(t.overagePer1000Minor, catalog.currency)} per 1,000 over the quota`;
    return `${m.unit}: ${[caps.length ? caps.join(", ") : "no caps", billing].filter(Boolean).join("; ")}`;
  });
  return `${price}; ${meters.join("; ")}`;
}

