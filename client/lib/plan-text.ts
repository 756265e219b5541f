import { isPlanId, PLANS } from "../../shared/plans";

/** A plan's name from its id; an id the catalog does not know is shown as it is. */
export const planName = (id: string) => (isPlanId(id) ? PLANS[id].name : id);

/** What a plan change does, in the portal and the console alike: "Starter → Business", "Overage billing turned on". */
export function changeTitle(c: { kind: string; fromPlanId: string; toPlanId: string }): string {
  if (c.kind === "overage_opt_in") return "Overage billing turned on";
  if (c.kind === "overage_opt_out") return "Overage billing turned off";
  return `${planName(c.fromPlanId)} → ${planName(c.toPlanId)}`;
}
