import type { Tone } from "../../../ui/badge";
import { billingDate } from "../billing-text";
import type { PlanChangeData } from "../use-billing-overview";

export function changeStatus(c: Pick<PlanChangeData, "status" | "effectiveAtMs">): { label: string; tone: Tone } {
  // A string switch: statuses a billing provider adds later still get a readable label.
  const status: string = c.status;
  switch (status) {
    case "applied":
      return { label: "Applied", tone: "good" };
    case "scheduled":
      return { label: `Scheduled for ${billingDate(c.effectiveAtMs)}`, tone: "brand" };
    case "pending_approval":
      return { label: "Waiting for approval", tone: "warn" };
    case "cancelled":
      return { label: "Cancelled", tone: "neutral" };
    case "denied":
      return { label: "Not approved", tone: "bad" };
    case "needs_consent":
      return { label: "Needs your consent again", tone: "warn" };
    case "applying":
      return { label: "Being applied", tone: "neutral" };
    case "payment_required":
      return { label: "Waiting for payment", tone: "warn" };
    case "payment_pending":
      return { label: "Payment pending", tone: "warn" };
    case "failed":
      return { label: "Failed", tone: "bad" };
    default:
      return { label: status.replace(/_/g, " ").replace(/^./, (ch) => ch.toUpperCase()), tone: "neutral" };
  }
}
