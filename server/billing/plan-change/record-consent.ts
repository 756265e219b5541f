import type { Catalog } from "../../../shared/catalog";
import { PLAN_CHANGE_REFUSALS as WORDS } from "../../../shared/messages";
import {
  approvalsInTx,
  insertApprovalRequestInTx,
  insertConsentInTx,
  insertPlanChangeInTx,
  moveChangeInTx,
  openSwitchesInTx,
  withdrawApprovalInTx,
  type PlanChangeStatus,
  type QuoteRow,
} from "../../db/queries/plan-changes";
import type { Unit } from "../../db/queries/unit";
import { DomainError } from "../../lib/domain-error";
import { newId } from "../../lib/ids";
import { APPROVAL_CARRIES_OVER_MS, applyKeyOf, type Consenter, type Replaced } from "./input";

export interface Recorded {
  planChangeId: string;
  status: PlanChangeStatus;
  /** The monthly total checked against the billing cap (the quote's, plus overage when ticked). */
  projectedMinor: number;
  /** The waiting changes this one replaced, cancelled or withdrawn in the same transaction. */
  replaced: Replaced[];
}

/**
 * Step 2 of a confirmation, in its unit of work: replaces the change waiting (one per account),
 * records the consent with the words shown and the plan change, and decides its status:
 *   - over the billing cap (and not approved at this total lately): "pending_approval", with its request;
 *   - a remote provider: "applying", with the idempotency key its calls will carry;
 *   - the local provider: "applied" now (settled next, in the same transaction) or "scheduled".
 */
export function* recordConsent(input: {
  catalog: Catalog;
  quote: QuoteRow;
  accountId: string;
  who: Consenter;
  nowMs: number;
  overage: boolean;
  remote: boolean;
  billingCapMinor: number;
}): Unit<Recorded> {
  const { quote, accountId, nowMs } = input;
  const projectedMinor = quote.projectedMonthlyMinor + (input.overage ? quote.expectedOverageMinor : 0);
  const overCap = projectedMinor > input.billingCapMinor && !(yield* approvedLately(accountId, quote.toPlanId, projectedMinor, nowMs));
  const replaced = quote.kind === "plan_change" ? yield* replaceWaiting(input.catalog, accountId, nowMs) : [];
  const status: PlanChangeStatus = overCap ? "pending_approval" : input.remote ? "applying" : quote.timing === "now" ? "applied" : "scheduled";

  const consentId = newId("cns");
  yield* insertConsentInTx({
    id: consentId,
    quoteId: quote.id,
    accountId,
    signedInAs: input.who.signedInAs,
    ip: input.who.ip,
    userAgent: input.who.userAgent?.slice(0, 500) ?? null,
    // The words shown and agreed to: the consent, and the overage sentence when that box was ticked too.
    textShown: input.overage && quote.overageConsentText ? `${quote.consentText} ${quote.overageConsentText}` : quote.consentText,
    overageOptIn: input.overage,
    amountDueNowMinor: quote.amountDueNowMinor,
    recurringMinor: quote.recurringMinor,
    currency: quote.currency,
    createdAtMs: nowMs,
  });
  const planChangeId = newId("pch");
  yield* insertPlanChangeInTx({
    id: planChangeId,
    accountId,
    quoteId: quote.id,
    consentId,
    kind: quote.kind,
    fromPlanId: quote.fromPlanId,
    toPlanId: quote.toPlanId,
    status,
    effectiveAtMs: quote.effectiveAtMs,
    idempotencyKey: input.remote ? applyKeyOf(quote.id) : null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  if (overCap) {
    yield* insertApprovalRequestInTx({ id: newId("apr"), planChangeId, accountId, projectedMonthlyMinor: projectedMinor, billingCapMinor: input.billingCapMinor, status: "pending", createdAtMs: nowMs });
  }
  return { planChangeId, status, projectedMinor, replaced };
}

/** An operator approved a switch to this plan for this account lately, at this monthly total or more: a re-consent needs no second approval. */
function* approvedLately(accountId: string, toPlanId: string, projectedMinor: number, nowMs: number): Unit<boolean> {
  return (yield* approvalsInTx(accountId)).some((r) => r.toPlanId === toPlanId && r.decidedAtMs !== null && nowMs - r.decidedAtMs <= APPROVAL_CARRIES_OVER_MS && projectedMinor <= r.projected);
}

/**
 * A new plan change replaces the one waiting (a scheduled switch, or one awaiting approval, whose
 * request is withdrawn); one still in flight at the provider cannot be replaced. Runs before the new
 * change is recorded: the schema allows one waiting change per account.
 */
function* replaceWaiting(catalog: Catalog, accountId: string, nowMs: number): Unit<Replaced[]> {
  const open = yield* openSwitchesInTx(accountId);
  const inFlight = open.find((c) => c.status === "applying" || c.status === "payment_required" || c.status === "payment_pending");
  if (inFlight) throw new DomainError("CONFLICT", WORDS.stillProcessing(catalog.nameOf(inFlight.toPlanId)));
  const replaced: Replaced[] = [];
  for (const c of open) {
    if (c.status === "scheduled" && c.providerRef) throw new DomainError("CONFLICT", WORDS.cancelScheduledFirst(catalog.nameOf(c.toPlanId)));
    // Only from the status it was read in: settled meanwhile (applied by the billing calendar, decided
    // by an operator) it is not replaced, and this confirmation records nothing.
    if (!(yield* moveChangeInTx(c.id, [c.status], { status: "cancelled", updatedAtMs: nowMs }))) throw new DomainError("CONFLICT", WORDS.settledJustNow(catalog.nameOf(c.toPlanId)));
    if (c.status === "pending_approval") yield* withdrawApprovalInTx(c.id, nowMs);
    replaced.push({ planChangeId: c.id, toPlanId: c.toPlanId, status: c.status });
  }
  return replaced;
}
