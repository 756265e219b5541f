import type { approvalRequests, consents, planChanges, quotes } from "../schema";
import type { BillingPlanChange } from "./billing";

/** A plan change joined with its quote, its consent and its approval request (if it needed one): the same row on both dialects. */
export interface PlanChangeJoin {
  plan_changes: typeof planChanges.$inferSelect;
  quotes: typeof quotes.$inferSelect;
  consents: typeof consents.$inferSelect;
  approval_requests: typeof approvalRequests.$inferSelect | null;
}

/** The billing page's view of one joined row; both implementations of planChangesWithConsents answer with it. */
export function billingPlanChangeOf(r: PlanChangeJoin): BillingPlanChange {
  return {
    id: r.plan_changes.id,
    kind: r.plan_changes.kind,
    status: r.plan_changes.status,
    fromPlanId: r.plan_changes.fromPlanId,
    toPlanId: r.plan_changes.toPlanId,
    toPlanVersion: r.quotes.toPlanVersion,
    effectiveAtMs: r.plan_changes.effectiveAtMs,
    createdAtMs: r.plan_changes.createdAtMs,
    approval: r.approval_requests ? { status: r.approval_requests.status, reason: r.approval_requests.reason } : null,
    consent: {
      id: r.consents.id,
      text: r.consents.textShown,
      signedInAs: r.consents.signedInAs,
      atMs: r.consents.createdAtMs,
      ip: r.consents.ip,
      amountDueNowMinor: r.consents.amountDueNowMinor,
      recurringMinor: r.consents.recurringMinor,
      currency: r.consents.currency,
    },
  };
}
