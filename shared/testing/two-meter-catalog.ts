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
