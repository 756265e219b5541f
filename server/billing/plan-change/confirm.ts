import { PLAN_CHANGE_REFUSALS as WORDS } from "../../../shared/messages";
import { accountRowById } from "../../db/queries/accounts";
import { changeIdOfQuote, closeWaiting, inTransaction, planChangeById, quoteById, scheduledSwitch } from "../../db/queries/plan-changes";
import type { Store } from "../../db/queries/store";
import { DomainError } from "../../lib/domain-error";
import { recordAudit } from "../../operator/audit-log";
import type { BillingContext } from "../billing-context";
import { cancelWithProvider } from "../cancel-change";
import { checkConfirmation } from "./check";
import { afterChange, commitRemoteOutcome, resultOf, tellReplaced } from "./commit";
import { confirmPlanChangeInput, type ConfirmPlanChangeInput, type Consenter, type PlanChangeResult, type Replaced } from "./input";
import { recordConsent, type Recorded } from "./record-consent";
import { mustApply, settleLocally, settleRemotely } from "./settle";

/**
 * Confirms a quote with the customer's consent, through whichever provider bills the account:
 *   1. check: the quote is the account's own, unused, unexpired, priced on today's terms, and the
 *      amounts and words agreed to are its own (a quote confirmed before answers its first result);
 *   2. record the consent: one transaction replaces the waiting change, records the consent and
 *      the plan change — over the billing cap it becomes an approval request instead;
 *   3. settle: the local provider invoices and applies inside that same transaction (upgrade now,
 *      downgrade scheduled for the period end); a remote provider (Stripe) is called after it, with
 *      the idempotency key stored in it (`quote:<id>:apply`);
 *   4. commit what the provider answered, once.
 * A crash between 3 and 4 leaves the change "applying": the next confirmation of the same quote (or
 * the billing worker) sends the same key again, the provider replays its first answer, and that is committed.
 */
export async function confirmPlanChange(ctx: BillingContext, accountId: string, raw: ConfirmPlanChangeInput, who: Consenter): Promise<PlanChangeResult> {
  const input = confirmPlanChangeInput.parse(raw);
  const { quote, done } = await checkConfirmation(ctx, accountId, input);
  if (done) return settleOrReplay(ctx, done);
  const remote = ctx.provider.remote !== undefined;

  const released: Replaced[] = [];
  if (remote && quote.kind === "plan_change") {
    // A switch scheduled at the provider (a Stripe subscription schedule) is released there first; the new choice replaces it.
    const scheduled = await scheduledSwitch(ctx.db, accountId);
    if (scheduled?.providerRef) {
      await cancelWithProvider(ctx, accountId, scheduled);
      released.push({ planChangeId: scheduled.id, toPlanId: scheduled.toPlanId, status: "scheduled" });
    }
  }

  const now = ctx.clock.now();
  let recorded: Recorded;
  try {
    recorded = await inTransaction(ctx.db, function* () {
      const r = yield* recordConsent({ catalog: ctx.catalog, quote, accountId, who, nowMs: now, overage: input.overage !== undefined, remote, billingCapMinor: ctx.billingCapMinor });
      if (r.status === "applied") mustApply(yield* settleLocally(ctx, r.planChangeId, quote, now));
      return r;
    });
  } catch (err) {
    // Two confirmations raced: the unique quote id let one through; answer with its result.
    const raced = await changeIdOfQuote(ctx.db, quote.id);
    if (raced) return settleOrReplay(ctx, raced);
    throw err;
  }

  const replaced = [...released, ...recorded.replaced];
  if (recorded.status === "applying") {
    // The settlement is under way before anything else is awaited, so a second confirmation of this
    // quote arriving meanwhile waits for it (and answers as the replay); the customer is told
    // alongside what the new choice replaced.
    const [settled, told] = await Promise.allSettled([settlePlanChange(ctx, recorded.planChangeId, false), tellReplaced(ctx, accountId, quote.fromPlanId, replaced, quote.toPlanId)]);
    if (settled.status === "rejected") throw settled.reason;
    if (told.status === "rejected") throw told.reason;
    return { ...settled.value, replaced };
  }
  await tellReplaced(ctx, accountId, quote.fromPlanId, replaced, quote.toPlanId);
  const result = await resultOf(ctx, recorded.planChangeId, false);
  await afterChange(ctx, accountId, result, result.status === "applied");
  return { ...result, replaced };
}

/** A quote confirmed before: finish it if it is still being applied, else answer with its first result (or why it stopped). */
async function settleOrReplay(ctx: BillingContext, planChangeId: string): Promise<PlanChangeResult> {
  const change = await planChangeById(ctx.db, planChangeId);
  if (change?.status === "applying") return settlePlanChange(ctx, planChangeId, true);
  if (change && (change.status === "failed" || change.status === "payment_pending" || change.status === "needs_consent") && change.failureMessage) {
    throw new DomainError("PRECONDITION_FAILED", change.failureMessage);
  }
  return resultOf(ctx, planChangeId, true);
}

/**
 * A double click waits for the first round trip instead of sending the same key twice at once (the
 * provider would answer the second with a conflict). Per store, in this process; across processes
 * the "sent" mark and the status guards keep a change from being charged or committed twice.
 */
const settling = new WeakMap<Store, Map<string, Promise<PlanChangeResult>>>();

/**
 * Sends an "applying" change to the remote provider and commits the answer. Safe to call again at
 * any time (a retry, a restart, a webhook racing it): the key is the stored one, and only a change
 * still waiting for the provider is committed.
 */
export function settlePlanChange(ctx: BillingContext, planChangeId: string, replayed: boolean): Promise<PlanChangeResult> {
  let running = settling.get(ctx.db);
  if (!running) settling.set(ctx.db, (running = new Map()));
  const first = running.get(planChangeId);
  if (first !== undefined) return first.then((r) => ({ ...r, replayed: true }));
  const p = settleOnce(ctx, planChangeId, replayed).finally(() => running.delete(planChangeId));
  running.set(planChangeId, p);
  return p;
}

async function settleOnce(ctx: BillingContext, planChangeId: string, replayed: boolean): Promise<PlanChangeResult> {
  const change = await planChangeById(ctx.db, planChangeId);
  if (!change || change.status !== "applying") return resultOf(ctx, planChangeId, true);
  const quote = await quoteById(ctx.db, change.quoteId);
  const account = await accountRowById(ctx.db, change.accountId);
  if (!quote || !account) throw new Error(`plan change ${planChangeId} has no quote or account`);

  const settled = await settleRemotely(ctx, change, quote, account);
  if (settled.kind === "taken") return resultOf(ctx, planChangeId, true);
  if (settled.kind === "not_sent") {
    await closeWaiting(ctx.db, planChangeId, settled.status, settled.message, ctx.clock.now());
    throw new DomainError("PRECONDITION_FAILED", settled.message);
  }
  const outcome = settled.outcome;
  await commitRemoteOutcome(ctx, planChangeId, outcome);
  const result = await resultOf(ctx, planChangeId, replayed);
  if (result.status === "failed" || result.status === "payment_pending") {
    throw new DomainError("PRECONDITION_FAILED", outcome.kind === "failed" || outcome.kind === "payment_pending" ? outcome.message : WORDS.notMade);
  }
  return result;
}

/**
 * The customer's confirmation, as the portal sends it: confirmed through the billing provider, and
 * the first confirmation of a quote audited (a replay changes nothing and is not audited again).
 */
export async function confirmPlanChangeAs(ctx: BillingContext, accountId: string, raw: ConfirmPlanChangeInput, who: Consenter): Promise<PlanChangeResult> {
  const result = await confirmPlanChange(ctx, accountId, raw, who);
  if (!result.replayed) {
    await recordAudit(ctx.db, ctx.clock, {
      actor: `customer:${who.signedInAs}`,
      action: "plan_change.confirmed",
      accountId,
      details: { planChangeId: result.planChangeId, consentId: result.consentId, kind: result.kind, from: result.fromPlanId, to: result.toPlanId, status: result.status, amountDueNowMinor: result.amountDueNowMinor, currency: result.currency },
    });
  }
  return result;
}
