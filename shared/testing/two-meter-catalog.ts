import file from "../../headroom.catalog.json";
import { parseCatalog, type CatalogFileInput } from "../catalog-file";

/** MCP tool calls per plan, beside the demo's API calls: tighter caps, its own overage and metered prices. */
const MCP_LIMITS: Record<string, CatalogFileInput["plans"][number]["limits"][string]> = {
  free: { month: 100 },
  starter: { minute: 10, day: 200 },
  pro: { minute: 100, month: 2_000, overagePer1000Minor: 500 },
  business: { minute: 50, day: 1_000 },
  enterprise: { meteredPer1000Minor: 100 },
};

/** The demo catalog's plans with a second meter, "mcp" (MCP tool calls), for tests of several meters. */
export function twoMeterCatalogFile(keyCeiling: "shared" | "per-meter" = "shared"): CatalogFileInput {
  const demo = file as CatalogFileInput;
  return {
    ...demo,
    keyCeiling,
    meters: [...demo.meters, { id: "mcp", unit: "MCP tool calls" }],
    plans: demo.plans.map((p) => ({ ...p, limits: { ...p.limits, mcp: MCP_LIMITS[p.id] ?? {} } })),
  };
}

/** The two-meter catalog: "calls" (API calls, the default meter) and "mcp" (MCP tool calls). */
export const twoMeterCatalog = parseCatalog(twoMeterCatalogFile());

/**
 * The two-meter catalog with usage billed on the second meter alone on two plans, for tests of billing
 * every meter: Starter bills MCP tool calls beyond 3,000 a month ($4.00 per 1,000, with the overage
 * opt-in) and Business meters every MCP tool call ($2.00 per 1,000), neither billing API calls; Pro
 * bills both meters' overage ($3.00 and $5.00), Enterprise meters both ($0.50 and $1.00).
 */
export function mcpBilledCatalogFile(): CatalogFileInput {
  const file = twoMeterCatalogFile();
  const mcp: Record<string, CatalogFileInput["plans"][number]["limits"][string]> = {
    starter: { minute: 10, day: 200, month: 3_000, overagePer1000Minor: 400 },
    business: { minute: 50, meteredPer1000Minor: 200 },
  };
  return { ...file, plans: file.plans.map((p) => (mcp[p.id] ? { ...p, limits: { ...p.limits, mcp: mcp[p.id]! } } : p)) };
}

export const mcpBilledCatalog = parseCatalog(mcpBilledCatalogFile());
