import type { BannerSeverity } from "../../ui/banner";
import type { Tone } from "../../ui/badge";
import { paths } from "../../app/paths";

export type ChoiceKind = "upgrade" | "reduce" | "contact";

/** Where each choice leads when the notice carries no link for it. */
const FALLBACK: Record<ChoiceKind, string> = { upgrade: paths.plans, reduce: paths.usage, contact: paths.support };

/**
 * Links in notices are absolute (they are e-mailed, and PUBLIC_URL may differ from the address the
 * portal is open at): inside the portal they are followed as client-side routes, by path and query.
 */
export function appPath(url: string | null | undefined, kind: ChoiceKind): string {
  if (!url) return FALLBACK[kind];
  try {
    const u = new URL(url, window.location.origin);
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return FALLBACK[kind];
  }
}

export const SEVERITY: Record<BannerSeverity, { label: string; tone: Tone }> = {
  info: { label: "Info", tone: "brand" },
  warning: { label: "Warning", tone: "warn" },
  critical: { label: "Critical", tone: "bad" },
};

/** What a notice is about, in a few words (kinds the portal does not know are shown as they are). */
const KIND_LABELS: Record<string, string> = {
  approaching: "Approaching a cap",
  reached: "Cap reached",
  sustained: "Outgrowing the plan",
  enforcement_scheduled: "Enforcement starting",
  plan_changed: "Plan changed",
  change_scheduled: "Plan change scheduled",
  approval_requested: "Approval requested",
  approval_decided: "Approval decided",
  anomaly: "Unusual bill",
  refund: "Refund",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replace(/_/g, " ");
}
