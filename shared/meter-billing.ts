import type { Catalog } from "./catalog";
import type { MeterTerms, Plan } from "./plans";
import { billsOverage, usageCharge, type PlanVerdict } from "./recommend";

/**
 * Usage billing, meter by meter. A plan may bill any of the catalog's meters: every unit
 * (`meteredPer1000Minor`) or the units beyond its month cap, with the customer's opt-in
 * (`overagePer1000Minor`). One opt-in per account turns overage on for every meter that has it.
 * Invoices, the billing page's estimate, quotes and the Stripe usage reports all read the billed
 * meters from here, so they bill what the Plans page estimates (`judgePlan` adds every meter's charge).
 */

/** How a meter's usage is billed on a plan: every unit, or the units beyond its month cap. */
export type MeterBilling = "metered" | "overage";

/** A meter a plan bills. */
export interface BilledMeter {
  id: string;
  unit: string;
  /** The catalog's first meter, which calls that name none count against. */
  isDefault: boolean;
  billing: MeterBilling;
  /** The plan's terms for it (with a price per 1,000). */
  terms: MeterTerms & { overagePer1000Minor: number };
  /** Its units on invoices and in consents: "calls" with a single meter (as Headroom always said), its unit with several. */
  noun: string;
}

/** How a meter's terms bill its usage, or null (not billed: no price, or an overage price without a month cap to go over). */
export function meterBillingOf(terms: MeterTerms | undefined): MeterBilling | null {
  if (!terms || terms.overagePer1000Minor === undefined) return null;
  if (terms.metered) return "metered";
  return billsOverage(terms) ? "overage" : null;
}

/** The word for a meter's units on invoices and in consents: "calls" with a single meter, its unit ("MCP tool calls") with several. */
export function billingNoun(catalog: Pick<Catalog, "meters">, meterId: string): string {
  if (catalog.meters.length <= 1) return "calls";
  return catalog.meters.find((m) => m.id === meterId)?.unit ?? meterId;
}

/**
 * The meters a plan bills, in the catalog's order. Give the plan as the account has it
 * (`termsOnInterval`: a yearly quota's month cap is the year's allowance).
 */
export function billedMeters(catalog: Pick<Catalog, "meters">, plan: Pick<Plan, "meters">): BilledMeter[] {
  const out: BilledMeter[] = [];
  catalog.meters.forEach((m, i) => {
    const terms = plan.meters[m.id];
    const billing = meterBillingOf(terms);
    if (!terms || !billing) return;
    out.push({ id: m.id, unit: m.unit, isDefault: i === 0, billing, terms: terms as BilledMeter["terms"], noun: billingNoun(catalog, m.id) });
  });
  return out;
}

/** The plan bills some meter's usage beyond its month cap: the overage opt-in is offered (and kept) on it. */
export function billsOverageOnAnyMeter(plan: Pick<Plan, "meters">): boolean {
  return Object.values(plan.meters).some((t) => meterBillingOf(t) === "overage");
}

/** What `units` of one meter in a quota window cost: metered, every unit; overage, the units beyond the cap — only with the opt-in. */
export function meterUsageMinor(terms: MeterTerms, units: number, overageOptIn: boolean): number {
  if (!terms.metered && !overageOptIn) return 0;
  return usageCharge(terms, units).usageMinor;
}

/** The units of a window that are billed: all of them (metered) or those beyond the cap (overage). */
export function billedUnits(meter: Pick<BilledMeter, "billing" | "terms">, units: number): number {
  return meter.billing === "metered" ? units : Math.max(0, units - (meter.terms.caps.month ?? 0));
}

/** A verdict's usage charge per meter id: each other meter's own, the default meter's what they leave of the whole. */
export function usageByMeter(catalog: Pick<Catalog, "meters">, verdict: Pick<PlanVerdict, "usageMinor" | "meters">): Record<string, number> {
  const out: Record<string, number> = {};
  let others = 0;
  for (const [id, v] of Object.entries(verdict.meters ?? {})) {
    out[id] = v.usageMinor;
    others += v.usageMinor;
  }
  const first = catalog.meters[0];
  if (first) out[first.id] = verdict.usageMinor - others;
  return out;
}

/**
 * A verdict's usage charge on a plan, split by how it is billed: metered usage (always charged) and
 * usage beyond month caps (charged only with the overage opt-in).
 */
export function usageSplit(catalog: Pick<Catalog, "meters">, plan: Pick<Plan, "meters">, verdict: Pick<PlanVerdict, "usageMinor" | "meters">): { meteredMinor: number; overageMinor: number } {
  const byMeter = usageByMeter(catalog, verdict);
  let meteredMinor = 0;
  let overageMinor = 0;
  for (const m of billedMeters(catalog, plan)) {
    const minor = byMeter[m.id] ?? 0;
    if (m.billing === "metered") meteredMinor += minor;
    else overageMinor += minor;
  }
  return { meteredMinor, overageMinor };
}
