import file from "./yearly.catalog.json";
import { parseCatalog } from "../catalog-file";
import type { Catalog } from "../catalog";

/**
 * The demo's plans with yearly prices (`yearly.catalog.json`): Starter and Business at ten months'
 * price a year ("2 months free"), Pro at 25% off (three months free), Free and Enterprise monthly only. `proYearlyQuota`
 * says how Pro's 10,000-call monthly quota applies on its yearly price.
 */
export function yearlyCatalog(opts: { proYearlyQuota?: "monthly" | "yearly" } = {}): Catalog {
  const data = structuredClone(file) as typeof file & { plans: Array<Record<string, unknown>> };
  const pro = data.plans.find((p) => p.id === "pro")!;
  pro.yearlyQuota = opts.proYearlyQuota ?? "monthly";
  return parseCatalog(data);
}

/** Where the file is, for a server started on it (CATALOG_PATH). */
export const YEARLY_CATALOG_PATH = new URL("./yearly.catalog.json", import.meta.url).pathname;
