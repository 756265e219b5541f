import type { Catalog } from "../../shared/catalog";

/** What a plan change does, in the portal and the console alike: "Starter → Business", "Overage billing turned on". */
export function changeTitle(catalog: Catalog, c: { kind: string; fromPlanId: string; toPlanId: string }): string {
  if (c.kind === "overage_opt_in") return "Overage billing turned on";
  if (c.kind === "overage_opt_out") return "Overage billing turned off";
  return `${catalog.nameOf(c.fromPlanId)} → ${catalog.nameOf(c.toPlanId)}`;
}
