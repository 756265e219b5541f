import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { isPlanId, PLANS } from "../../shared/plans";
import { consentDigest } from "../../shared/consent";
import { billsOverage } from "../../shared/recommend";
import { accounts, approvalRequests, consents, OPEN_PLAN_CHANGE_STATUSES, planChanges, quotes, type PlanChangeStatus } from "../db/schema";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import { recordAudit } from "../operator/audit-log";
import type { BillingContext } from "./billing-context";
import type { LineDraft, RemoteApplyOutcome } from "./billing-provider";
import { mirrorInvoice } from "./invoice-mirror";
import { isBillingPaused } from "./billing-pause";
import { cancelWithProvider } from "./cancel-change";
import { moveChange } from "./plan-change-status";
import { accountFingerprint, catalogFingerprint } from "./terms";

const digest = z.string().regex(/^[0-9a-f]{64}$/, "textDigest must be the SHA-256 (hex) of the words shown.");

/** The customer's explicit agreement: a literal `true`, and which words it was given to (the digest of the text displayed). */
const agreement = (what: string) =>
  z.object(
    {
      agreed: z.literal(true, { error: `Nothing changes without your explicit agreement: tick the box to agree to ${what}.` }),
      textDigest: digest,
    },
    { error: `The confirmation must carry your agreement to ${what}: { agreed: true, textDigest }.` },
  );

export const confirmPlanChangeInput = z.object({
  quoteId: z.string().min(1).max(100),
  /** The amounts the customer saw and accepted; they must equal the quote's. */
  accepted: z.object({
    amountDueNow: z.number().int().nonnegative(),
    recurringAmount: z.number().int().nonnegative(),
    currency: z.string().length(3),
  }),
  /** The agreement to the quote's consent text, bound to the words displayed (consentDigest of them). */
  consent: agreement("the words shown"),
  /** The overage opt-in offered with the change, ticked too (its own words, its own digest). Absent = not ticked. */
  overage: agreement("overage billing").optional(),
});
export type ConfirmPlanChangeInput = z.infer<typeof confirmPlanChangeInput>;

export interface Consenter {
  /** The signed-in person: the account's e-mail for a customer session. */
  signedInAs: string;
  ip: string | null;
  userAgent: string | null;
}

export interface PlanChangeResult {
  planChangeId: string;
  status: PlanChangeStatus;
  kind: "plan_change" | "overage_opt_in" | "overage_opt_out";
  fromPlanId: string;
  toPlanId: string;
  effectiveAtMs: number;
  amountDueNowMinor: number;
  recurringMinor: number;
  recurringFromMs: number;
  currency: string;
  invoiceId: string | null;
  consentId: string;
  /** The change started a new billing period today (from Free or grandfathered terms). */
  periodMoved: boolean;
  /** The confirmation had already been recorded: this is its first result, nothing changed twice. */
  replayed: boolean;
  /** status "payment_required": Stripe Checkout, where the customer pays; the plan changes only once that payment completes. */
  checkoutUrl?: string | null;
  /** The waiting change this confirmation replaced (a scheduled switch, or one awaiting approval), if any. */
  replaced?: Replaced[];
}

function resultOf(ctx: Pick<BillingContext, "db">, planChangeId: string, replayed: boolean): PlanChangeResult {
  const row = ctx.db.select().from(planChanges).innerJoin(quotes, eq(quotes.id, planChanges.quoteId)).where(eq(planChanges.id, planChangeId)).get()!;
  return {
    planChangeId: row.plan_changes.id,
    status: row.plan_changes.status,
    kind: row.plan_changes.kind,
    fromPlanId: row.plan_changes.fromPlanId,
    toPlanId: row.plan_changes.toPlanId,
    effectiveAtMs: row.plan_changes.effectiveAtMs,
    amountDueNowMinor: row.quotes.amountDueNowMinor,
    recurringMinor: row.quotes.recurringMinor,
    recurringFromMs: row.quotes.recurringFromMs,
    currency: row.quotes.currency,
    invoiceId: row.plan_changes.invoiceId,
    consentId: row.plan_changes.consentId,
    periodMoved: row.quotes.timing === "now" && row.quotes.recurringFromMs !== row.quotes.periodEndMs,
    replayed,
    checkoutUrl: row.plan_changes.checkoutUrl,
  };
}

type QuoteRow = typeof quotes.$inferSelect;

/** The checks before any consent is recorded: the account's own quote, unused, unexpired, unchanged terms, the quoted amounts. */
function checkConfirmation(ctx: BillingContext, accountId: string, input: ConfirmPlanChangeInput): { quote: QuoteRow; done: string | null } {
  const { db, clock } = ctx;
  const quote = db.select().from(quotes).where(eq(quotes.id, input.quoteId)).get();
  // Another account's quote is "not found": nothing about it is revealed.
  if (!quote || quote.accountId !== accountId) throw new DomainError("NOT_FOUND", "No such quote.");
  const done = db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quote.id)).get();
  if (done) return { quote, done: done.id };

  const now = clock.now();
  if (now >= quote.expiresAtMs) throw new DomainError("EXPIRED", "This price preview has expired. Preview the change again to see the current price.");
  const account = db.select().from(accounts).where(eq(accounts.id, accountId)).get()!;
  if (accountFingerprint(account) !== quote.accountFingerprint || catalogFingerprint() !== quote.catalogFingerprint) {
    throw new DomainError("PRECONDITION_FAILED", "Your plan or the prices changed since this preview. Preview the change again to see the current price.");
  }
  const a = input.accepted;
  if (a.amountDueNow !== quote.amountDueNowMinor || a.recurringAmount !== quote.recurringMinor || a.currency.toUpperCase() !== quote.currency) {
    throw new DomainError("CONFLICT", "The amounts you accepted are not the ones quoted. Nothing was charged; please review the preview again.");
  }
  return { quote, done: null };
}

/** The words agreed to must be this quote's, and the overage tick only where it was offered. */
function checkWords(quote: QuoteRow, input: ConfirmPlanChangeInput): void {
  if (input.consent.textDigest !== consentDigest(quote.consentText)) {
    throw new DomainError("CONFLICT", "The words you agreed to are not this price preview's. Nothing was charged; please review the preview again and agree to what it says.");
  }
  if (!input.overage) return;
  if (!quote.overageConsentText) throw new DomainError("BAD_INPUT", "This change offers no overage opt-in to agree to.");
  if (input.overage.textDigest !== consentDigest(quote.overageConsentText)) {
    throw new DomainError("CONFLICT", "The overage terms you agreed to are not this preview's. Nothing was charged; please review the preview again.");
  }
}

/** The monthly total the billing cap is checked against: the quote's, plus overage when the customer ticked it. */
const projectedWith = (quote: QuoteRow, overage: boolean) => quote.projectedMonthlyMinor + (overage ? quote.expectedOverageMinor : 0);

/** An operator approved a switch to this plan for this account lately, at this monthly total or more: a re-consent needs no second approval. */
function approvedLately(tx: BillingContext["db"], accountId: string, toPlanId: string, projectedMinor: number, nowMs: number): boolean {
  const rows = tx
    .select({ projected: approvalRequests.projectedMonthlyMinor, decidedAtMs: approvalRequests.decidedAtMs, toPlanId: planChanges.toPlanId })
    .from(approvalRequests)
    .innerJoin(planChanges, eq(planChanges.id, approvalRequests.planChangeId))
    .where(and(eq(approvalRequests.accountId, accountId), eq(approvalRequests.status, "approved")))
    .all();
  return rows.some((r) => r.toPlanId === toPlanId && r.decidedAtMs !== null && nowMs - r.decidedAtMs <= APPROVAL_CARRIES_OVER_MS && projectedMinor <= r.projected);
}

/** How long an operator's approval carries over to a re-consent at a new price (the price moved while it waited). */
export const APPROVAL_CARRIES_OVER_MS = 7 * 86_400_000;

export interface Replaced {
  planChangeId: string;
  toPlanId: string;
  status: PlanChangeStatus;
}

/**
 * A new plan change replaces the one waiting (a scheduled switch, or one awaiting approval, whose
 * request is withdrawn); one still in flight at the provider cannot be replaced. Runs inside the
 * transaction that records the new change, before it: the schema allows one waiting change per account.
 */
function replaceWaiting(tx: BillingContext["db"], accountId: string, now: number): Replaced[] {
  const open = tx
    .select()
    .from(planChanges)
    .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), inArray(planChanges.status, [...OPEN_PLAN_CHANGE_STATUSES])))
    .all();
  const inFlight = open.find((c) => c.status === "applying" || c.status === "payment_required" || c.status === "payment_pending");
  if (inFlight) {
    throw new DomainError("CONFLICT", `Your switch to ${planNameOf(inFlight.toPlanId)} is still being processed. Nothing was charged for this one; wait until that switch is settled (see Billing), then choose again.`);
  }
  const replaced: Replaced[] = [];
  for (const c of open) {
    if (c.status === "scheduled" && c.providerRef) {
      throw new DomainError("CONFLICT", `Your scheduled switch to ${planNameOf(c.toPlanId)} must be cancelled first. Nothing was charged.`);
    }
    // Only from the status it was read in: settled meanwhile (applied by the billing calendar, decided
    // by an operator) it is not replaced, and this confirmation records nothing.
    if (!moveChange(tx, c.id, [c.status], { status: "cancelled", updatedAtMs: now })) {
      throw new DomainError("CONFLICT", `Your waiting switch to ${planNameOf(c.toPlanId)} was settled just now. Nothing was charged for this one; please preview the change again.`);
    }
    if (c.status === "pending_approval") tx.update(approvalRequests).set({ status: "withdrawn", decidedAtMs: now }).where(and(eq(approvalRequests.planChangeId, c.id), eq(approvalRequests.status, "pending"))).run();
    replaced.push({ planChangeId: c.id, toPlanId: c.toPlanId, status: c.status });
  }
  return replaced;
}

/** The customer is told which waiting change their new choice replaced. */
async function tellReplaced(ctx: BillingContext, accountId: string, planId: string, replaced: Replaced[], byPlanName: string): Promise<void> {
  for (const r of replaced) {
    const name = planNameOf(r.toPlanId);
    await raiseAccountNotice(ctx.notify, {
      accountId,
      planId,
      ref: `${r.planChangeId}:replaced`,
      facts: {
        kind: "change_scheduled",
        planName: name,
        severity: "info",
        title: r.status === "pending_approval" ? `Your request to switch to ${name} was withdrawn` : `Your scheduled switch to ${name} was cancelled`,
        text: `You chose the ${byPlanName} plan instead, so the ${r.status === "pending_approval" ? "request waiting for approval" : "scheduled switch"} to ${name} no longer applies. Nothing was charged for it.`,
      },
    });
  }
}

/** Records the consent and its plan change in one transaction; the caller decides the status. */
function recordConsent(
  tx: BillingContext["db"],
  quote: QuoteRow,
  accountId: string,
  who: Consenter,
  now: number,
  change: { status: PlanChangeStatus; idempotencyKey: string | null; overage: boolean },
): { planChangeId: string; consentId: string } {
  const consentId = newId("cns");
  tx.insert(consents)
    .values({
      id: consentId,
      quoteId: quote.id,
      accountId,
      signedInAs: who.signedInAs,
      ip: who.ip,
      userAgent: who.userAgent?.slice(0, 500) ?? null,
      // The words shown and agreed to: the consent, and the overage sentence when that box was ticked too.
      textShown: change.overage && quote.overageConsentText ? `${quote.consentText} ${quote.overageConsentText}` : quote.consentText,
      overageOptIn: change.overage,
      amountDueNowMinor: quote.amountDueNowMinor,
      recurringMinor: quote.recurringMinor,
      currency: quote.currency,
      createdAtMs: now,
    })
    .run();
  const id = newId("pch");
  tx.insert(planChanges)
    .values({ id, accountId, quoteId: quote.id, consentId, kind: quote.kind, fromPlanId: quote.fromPlanId, toPlanId: quote.toPlanId, status: change.status, effectiveAtMs: quote.effectiveAtMs, idempotencyKey: change.idempotencyKey, createdAtMs: now, updatedAtMs: now })
    .run();
  return { planChangeId: id, consentId };
}

function requestApproval(tx: BillingContext["db"], ctx: BillingContext, planChangeId: string, accountId: string, projectedMonthlyMinor: number, now: number): void {
  tx.insert(approvalRequests)
    .values({ id: newId("apr"), planChangeId, accountId, projectedMonthlyMinor, billingCapMinor: ctx.billingCapMinor, status: "pending", createdAtMs: now })
    .run();
}

const planNameOf = (planId: string) => PLANS[isPlanId(planId) ? planId : "free"].name;

/**
 * Confirms a quote with the customer's consent. Checks that the quote is the account's own, unused,
 * unexpired, that nothing it was priced on has changed, and that the accepted amounts are the
 * quote's; then records the consent and the plan change in one transaction and applies it
 * (upgrade: now, invoiced now; downgrade: scheduled for the period end). Over the billing cap it
 * becomes an approval request instead. Confirming the same quote again returns the first result.
 *
 * This is the local provider's path, settled inside the transaction; a remote provider (Stripe)
 * goes through confirmPlanChangeWithProvider.
 */
export async function confirmPlanChange(ctx: BillingContext, accountId: string, raw: ConfirmPlanChangeInput, who: Consenter): Promise<PlanChangeResult> {
  if (ctx.provider.remote) throw new Error("confirmPlanChange settles in the local ledger; use confirmPlanChangeWithProvider with a remote billing provider");
  const input = confirmPlanChangeInput.parse(raw);
  const { db, clock } = ctx;
  const { quote, done } = checkConfirmation(ctx, accountId, input);
  checkWords(quote, input);
  if (done) return resultOf(ctx, done, true);
  const now = clock.now();
  const overage = input.overage !== undefined;
  let planChangeId: string;
  let replaced: Replaced[] = [];
  try {
    planChangeId = db.transaction((txRaw) => {
      // drizzle types a transaction apart from the database; it has the same query API.
      const tx = txRaw as unknown as BillingContext["db"];
      const projected = projectedWith(quote, overage);
      const overCap = projected > ctx.billingCapMinor && !approvedLately(tx, accountId, quote.toPlanId, projected, now);
      if (quote.kind === "plan_change") replaced = replaceWaiting(tx, accountId, now);
      const status = overCap ? "pending_approval" : quote.timing === "now" ? "applied" : "scheduled";
      const { planChangeId: id } = recordConsent(tx, quote, accountId, who, now, { status, idempotencyKey: null, overage });
      if (overCap) requestApproval(tx, ctx, id, accountId, projected, now);
      else if (quote.timing === "now") applyNow(ctx, tx, id, quote, now);
      return id;
    });
  } catch (err) {
    // Two confirmations raced: the unique quote id let one through; answer with its result.
    const raced = db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quote.id)).get();
    if (raced) return resultOf(ctx, raced.id, true);
    throw err;
  }

  const result = resultOf(ctx, planChangeId, false);
  await tellReplaced(ctx, accountId, result.fromPlanId, replaced, planNameOf(quote.toPlanId));
  await afterChange(ctx, result, planNameOf(quote.toPlanId), result.status === "applied");
  return { ...result, replaced };
}

/** The idempotency key of a consented change's provider calls: derived from the quote, stored before the first call. */
export const applyKeyOf = (quoteId: string) => `quote:${quoteId}:apply`;

/**
 * Confirms a quote through the billing provider. With the local provider this is confirmPlanChange.
 * With a remote provider (Stripe), in three steps:
 *   1. one transaction records the consent and the plan change as "applying", with the idempotency
 *      key derived from the quote (`quote:<id>:apply`);
 *   2. the provider is called with that key (after re-pricing the consented change at its own
 *      proration second: a different amount is never charged, the customer re-consents instead);
 *   3. one transaction commits what the provider answered.
 * A crash between 2 and 3 leaves the change "applying": the next confirmation of the same quote (or
 * the restart) sends the same key again, the provider replays its first answer, and that is committed.
 */
export async function confirmPlanChangeWithProvider(ctx: BillingContext, accountId: string, raw: ConfirmPlanChangeInput, who: Consenter): Promise<PlanChangeResult> {
  if (!ctx.provider.remote) return confirmPlanChange(ctx, accountId, raw, who);
  const input = confirmPlanChangeInput.parse(raw);
  const { db, clock } = ctx;
  const { quote, done } = checkConfirmation(ctx, accountId, input);
  checkWords(quote, input);
  if (done) return settleOrReplay(ctx, done);
  const overage = input.overage !== undefined;
  const released: Replaced[] = [];
  if (quote.kind === "plan_change") {
    // A switch scheduled at the provider (a Stripe subscription schedule) is released there first; the new choice replaces it.
    const scheduled = db
      .select()
      .from(planChanges)
      .where(and(eq(planChanges.accountId, accountId), eq(planChanges.kind, "plan_change"), eq(planChanges.status, "scheduled")))
      .get();
    if (scheduled?.providerRef) {
      await cancelWithProvider(ctx, accountId, scheduled);
      released.push({ planChangeId: scheduled.id, toPlanId: scheduled.toPlanId, status: "scheduled" });
    }
  }
  const now = clock.now();
  let planChangeId: string;
  let overCap = false;
  let replaced: Replaced[] = released;
  try {
    planChangeId = db.transaction((txRaw) => {
      const tx = txRaw as unknown as BillingContext["db"];
      const projected = projectedWith(quote, overage);
      overCap = projected > ctx.billingCapMinor && !approvedLately(tx, accountId, quote.toPlanId, projected, now);
      if (quote.kind === "plan_change") replaced = [...released, ...replaceWaiting(tx, accountId, now)];
      const { planChangeId: id } = recordConsent(tx, quote, accountId, who, now, { status: overCap ? "pending_approval" : "applying", idempotencyKey: applyKeyOf(quote.id), overage });
      if (overCap) requestApproval(tx, ctx, id, accountId, projected, now);
      return id;
    });
  } catch (err) {
    const raced = db.select({ id: planChanges.id }).from(planChanges).where(eq(planChanges.quoteId, quote.id)).get();
    if (raced) return settleOrReplay(ctx, raced.id);
    throw err;
  }
  if (overCap) {
    await tellReplaced(ctx, accountId, quote.fromPlanId, replaced, planNameOf(quote.toPlanId));
    const result = resultOf(ctx, planChangeId, false);
    await afterChange(ctx, result, planNameOf(quote.toPlanId), false);
    return { ...result, replaced };
  }
  // The settlement is under way before anything is awaited, so a second confirmation of this quote
  // arriving meanwhile waits for it (and answers as the replay); the customer is told alongside what
  // the new choice replaced.
  const [settled, told] = await Promise.allSettled([settlePlanChange(ctx, planChangeId, false), tellReplaced(ctx, accountId, quote.fromPlanId, replaced, planNameOf(quote.toPlanId))]);
  if (settled.status === "rejected") throw settled.reason;
  if (told.status === "rejected") throw told.reason;
  return { ...settled.value, replaced };
}

/** A quote confirmed before: finish it if it is still being applied, else answer with its first result. */
function settleOrReplay(ctx: BillingContext, planChangeId: string): Promise<PlanChangeResult> | PlanChangeResult {
  const change = ctx.db.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get()!;
  if (change.status === "applying") return settlePlanChange(ctx, planChangeId, true);
  if ((change.status === "failed" || change.status === "payment_pending" || change.status === "needs_consent") && change.failureMessage) {
    throw new DomainError("PRECONDITION_FAILED", change.failureMessage);
  }
  return resultOf(ctx, planChangeId, true);
}

// One provider round trip per plan change in this process: a double click waits for the first.
const inFlight = new Map<string, Promise<PlanChangeResult>>();

/**
 * Sends an "applying" change to the provider and commits the answer. Safe to call again at any time
 * (a retry, a restart, a webhook racing it): the key is the stored one, and only a change still
 * "applying" is committed.
 */
export function settlePlanChange(ctx: BillingContext, planChangeId: string, replayed: boolean): Promise<PlanChangeResult> {
  const running = inFlight.get(planChangeId);
  if (running) return running.then((r) => ({ ...r, replayed: true }));
  const p = settleOnce(ctx, planChangeId, replayed).finally(() => inFlight.delete(planChangeId));
  inFlight.set(planChangeId, p);
  return p;
}

async function settleOnce(ctx: BillingContext, planChangeId: string, replayed: boolean): Promise<PlanChangeResult> {
  const remote = ctx.provider.remote!;
  const { db, clock } = ctx;
  const change = db.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get()!;
  if (change.status !== "applying") return resultOf(ctx, planChangeId, true);
  const quote = db.select().from(quotes).where(eq(quotes.id, change.quoteId)).get()!;
  const account = db.select().from(accounts).where(eq(accounts.id, change.accountId)).get()!;
  const key = change.idempotencyKey ?? applyKeyOf(quote.id);

  if (change.providerSentAtMs === null) {
    // Not sent yet: the consent must still describe exactly what would be charged.
    if (quote.pricedBy === "stripe") {
      const amountNow = await remote.repriceQuote(account, quote);
      if (amountNow !== quote.amountDueNowMinor) {
        const message = `The price changed since you agreed to it: Stripe now asks ${formatMoney(amountNow, quote.currency)} now instead of ${formatMoney(quote.amountDueNowMinor, quote.currency)}. Nothing was charged and your plan is unchanged; please preview the change again and confirm the new price.`;
        commitStatus(ctx, planChangeId, "needs_consent", message);
        throw new DomainError("PRECONDITION_FAILED", message);
      }
    }
    if (quote.amountDueNowMinor > 0 && isBillingPaused(db)) {
      const message = "Charges are paused by the provider at the moment. Nothing was charged and your plan is unchanged; please try again later.";
      commitStatus(ctx, planChangeId, "failed", message);
      throw new DomainError("PRECONDITION_FAILED", message);
    }
    // Stored before the call: from now on a retry re-sends with the same key, it never re-prices.
    const sent = db.update(planChanges).set({ providerSentAtMs: clock.now(), updatedAtMs: clock.now() }).where(and(eq(planChanges.id, planChangeId), eq(planChanges.status, "applying"))).run();
    // Settled meanwhile by another process (or a webhook): nothing is sent.
    if (sent.changes !== 1) return resultOf(ctx, planChangeId, true);
  }

  const outcome = await remote.applyChange(account, change, quote, key);
  await commitRemoteOutcome(ctx, planChangeId, outcome);
  const result = resultOf(ctx, planChangeId, replayed);
  if (result.status === "failed" || result.status === "payment_pending") {
    throw new DomainError("PRECONDITION_FAILED", outcome.kind === "failed" || outcome.kind === "payment_pending" ? outcome.message : "The change could not be made. Your plan is unchanged.");
  }
  return result;
}

function commitStatus(ctx: BillingContext, planChangeId: string, status: PlanChangeStatus, message: string | null): void {
  const now = ctx.clock.now();
  ctx.db
    .update(planChanges)
    .set({ status, failureMessage: message, updatedAtMs: now })
    .where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, ["applying", "payment_required", "payment_pending"])))
    .run();
}

/**
 * Commits what the remote provider made of a change, once: only a change still waiting for it
 * (applying, at checkout, payment pending) moves. Used by the confirmation and by the webhooks
 * (checkout completed, a pending change paid). Returns true when this call committed it.
 */
export async function commitRemoteOutcome(ctx: BillingContext, planChangeId: string, outcome: RemoteApplyOutcome): Promise<boolean> {
  let after: (() => Promise<void>) | null = null;
  ctx.db.transaction((tx) => {
    after = commitRemoteOutcomeIn(ctx, tx as unknown as BillingContext["db"], planChangeId, outcome);
  });
  if (!after) return false;
  await (after as () => Promise<void>)();
  return true;
}

/**
 * The same inside the caller's transaction (a webhook stores its event id with the effect). Returns
 * what to do once that transaction has committed (meter caps, notices), or null if nothing moved.
 */
export function commitRemoteOutcomeIn(ctx: BillingContext, tx: BillingContext["db"], planChangeId: string, outcome: RemoteApplyOutcome): (() => Promise<void>) | null {
  const now = ctx.clock.now();
  const change = tx.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get();
  if (!change || !["applying", "payment_required", "payment_pending"].includes(change.status)) return null;
  const quote = tx.select().from(quotes).where(eq(quotes.id, change.quoteId)).get()!;
  // Every move is guarded by the statuses still waiting for the provider: the first commit wins,
  // whichever process (confirmation, worker, webhook) makes it; the others change nothing.
  const waiting = ["applying", "payment_required", "payment_pending"] as const;
  switch (outcome.kind) {
    case "applied": {
      if (!moveChange(tx, planChangeId, waiting, { status: "applied", appliedAtMs: now, effectiveAtMs: now, failureMessage: null, updatedAtMs: now })) return null;
      const invoiceId = outcome.invoice ? mirrorInvoice(tx, change.accountId, outcome.invoice, { kind: "proration", dedupeKey: `quote:${quote.id}`, nowMs: now }) : change.invoiceId;
      applyToAccount(tx, quote, consentedOverage(tx, change.consentId), now, { customerId: outcome.customerId, subscriptionId: outcome.subscriptionId, periodStartMs: outcome.periodStartMs });
      tx.update(planChanges).set({ invoiceId }).where(eq(planChanges.id, planChangeId)).run();
      break;
    }
    case "scheduled":
      if (!moveChange(tx, planChangeId, waiting, { status: "scheduled", providerRef: outcome.ref, updatedAtMs: now })) return null;
      break;
    case "payment_required":
      if (!moveChange(tx, planChangeId, waiting, { status: "payment_required", providerRef: outcome.ref, checkoutUrl: outcome.checkoutUrl, updatedAtMs: now })) return null;
      break;
    case "payment_pending": {
      if (!moveChange(tx, planChangeId, waiting, { status: "payment_pending", failureMessage: outcome.message, updatedAtMs: now })) return null;
      const invoiceId = outcome.invoice ? mirrorInvoice(tx, change.accountId, outcome.invoice, { kind: "proration", dedupeKey: `quote:${quote.id}`, nowMs: now }) : change.invoiceId;
      tx.update(planChanges).set({ invoiceId }).where(eq(planChanges.id, planChangeId)).run();
      break;
    }
    case "failed":
      if (!moveChange(tx, planChangeId, waiting, { status: "failed", failureMessage: outcome.message, updatedAtMs: now })) return null;
      break;
  }
  return async () => {
    const result = resultOf(ctx, planChangeId, false);
    const name = planNameOf(result.toPlanId);
    if (outcome.kind === "applied") await afterChange(ctx, result, name, true);
    else if (outcome.kind === "scheduled") await afterChange(ctx, result, name, false);
    else if (outcome.kind === "payment_pending" || outcome.kind === "failed") {
      await raiseAccountNotice(ctx.notify, {
        accountId: change.accountId,
        planId: result.fromPlanId,
        ref: `${planChangeId}:${outcome.kind}`,
        facts: { kind: "payment_failed", planName: planNameOf(result.fromPlanId), severity: "warning", title: `Your switch to ${name} did not go through`, text: outcome.message },
      });
    }
  };
}

/** Whether the consent behind a change also ticked the overage opt-in offered with it. */
function consentedOverage(tx: BillingContext["db"], consentId: string): boolean {
  return tx.select({ o: consents.overageOptIn }).from(consents).where(eq(consents.id, consentId)).get()?.o ?? false;
}

/**
 * The account takes the consented terms at `atMs`: the new plan (whose monthly quota counts from
 * now), a new billing period from this moment when nothing was paid for the current one (Free →
 * paid, the end of grandfathered terms), grandfathering ended, and overage billing on where the
 * customer ticked it, kept where the new plan has it, off where it has none.
 */
function applyToAccount(tx: BillingContext["db"], quote: QuoteRow, overageTicked: boolean, atMs: number, remote: { customerId?: string; subscriptionId?: string | null; periodStartMs?: number } = {}): void {
  if (quote.kind !== "plan_change") {
    tx.update(accounts).set({ overageOptIn: quote.kind === "overage_opt_in" }).where(eq(accounts.id, quote.accountId)).run();
    return;
  }
  const account = tx.select().from(accounts).where(eq(accounts.id, quote.accountId)).get()!;
  const freshPeriod = quote.recurringFromMs !== quote.periodEndMs;
  const to = PLANS[isPlanId(quote.toPlanId) ? quote.toPlanId : "free"];
  tx.update(accounts)
    .set({
      planId: quote.toPlanId,
      planStartedAtMs: atMs,
      // Free → paid (or the end of grandfathered terms) starts a billing period at the moment of the change, as Stripe does.
      billingAnchorMs: freshPeriod ? (remote.periodStartMs ?? atMs) : account.billingAnchorMs,
      grandfatheredUntilMs: quote.endsGrandfathering ? null : account.grandfatheredUntilMs,
      overageOptIn: billsOverage(to) ? overageTicked || account.overageOptIn : false,
      stripeCustomerId: remote.customerId ?? account.stripeCustomerId,
      stripeSubscriptionId: remote.subscriptionId !== undefined ? remote.subscriptionId : account.stripeSubscriptionId,
    })
    .where(eq(accounts.id, quote.accountId))
    .run();
}

/**
 * Applies a confirmed change now: invoice, new plan, new period if nothing was paid for this one.
 * `lines` and `atMs` default to the quote's; an approved change applied later passes its re-priced
 * lines and the moment it is applied (the amounts are the consented ones).
 */
export function applyNow(ctx: BillingContext, tx: BillingContext["db"], planChangeId: string, quote: typeof quotes.$inferSelect, now: number, repriced?: { lines: LineDraft[]; atMs: number; periodEndMs: number }): void {
  const change = tx.select().from(planChanges).where(eq(planChanges.id, planChangeId)).get()!;
  const overage = consentedOverage(tx, change.consentId);
  const atMs = repriced?.atMs ?? quote.prorationAtMs;
  // Applied once: a change just recorded as applied (not yet carried out), or one an operator approves
  // now. Whoever got there first applied it; this transaction rolls back, charging nothing.
  const claimed = tx
    .update(planChanges)
    .set({ status: "applied", appliedAtMs: now, updatedAtMs: now })
    .where(and(eq(planChanges.id, planChangeId), inArray(planChanges.status, ["applied", "pending_approval"]), isNull(planChanges.appliedAtMs)))
    .run();
  if (claimed.changes !== 1) throw new DomainError("CONFLICT", "This change has already been settled.");
  if (quote.kind !== "plan_change") {
    applyToAccount(tx, quote, overage, atMs);
    return;
  }
  const lines = repriced?.lines ?? (JSON.parse(quote.linesJson) as LineDraft[]);
  let invoiceId: string | null = null;
  if (lines.length > 0) {
    const charge = ctx.provider.invoice(
      tx,
      { accountId: quote.accountId, kind: "proration", periodStartMs: atMs, periodEndMs: repriced?.periodEndMs ?? quote.recurringFromMs, currency: quote.currency, lines, dedupeKey: `quote:${quote.id}` },
      now,
    );
    if (charge.kind === "declined") throw new DomainError("PRECONDITION_FAILED", `The payment was declined: ${charge.message}. Your plan is unchanged.`);
    if (charge.kind === "payment_required") throw new DomainError("PRECONDITION_FAILED", "A payment method is needed first.");
    invoiceId = charge.invoiceId;
  }
  applyToAccount(tx, quote, overage, atMs);
  tx.update(planChanges).set({ effectiveAtMs: atMs, invoiceId }).where(eq(planChanges.id, planChangeId)).run();
}

/** After the commit: the meter takes the new caps, and the customer is told. */
export async function afterChange(ctx: BillingContext, r: PlanChangeResult, toPlanName: string, applied: boolean): Promise<void> {
  const money = (m: number) => formatMoney(m, r.currency);
  const accountId = accountIdOf(ctx, r.planChangeId);
  // A change from Free (or from grandfathered terms) starts a new billing period today.
  if (applied) ctx.onPlanChanged(accountId);
  const overage = r.kind !== "plan_change";
  const facts =
    overage && r.status === "applied"
      ? r.kind === "overage_opt_in"
        ? { kind: "plan_changed" as const, title: "Overage billing is on", text: "Calls beyond your monthly quota are now served and billed per 1,000 with your monthly invoice, instead of being limited. You can turn this off on the Billing page." }
        : { kind: "plan_changed" as const, title: "Overage billing is off", text: "Calls beyond your monthly quota are limited again; nothing beyond the quota is billed from now on." }
      : r.status === "applied"
      ? { kind: "plan_changed" as const, title: `You are now on the ${toPlanName} plan`, text: `Your new caps apply now. Charged today: ${money(r.amountDueNowMinor)}. Next: ${money(r.recurringMinor)} on ${formatDateUtc(r.recurringFromMs)}.` }
      : r.status === "scheduled"
        ? { kind: "change_scheduled" as const, title: `Your switch to ${toPlanName} is scheduled`, text: `It takes effect on ${formatDateUtc(r.effectiveAtMs)}. Nothing is charged now; you can cancel it until then on the Billing page.` }
        : { kind: "approval_requested" as const, title: `Your switch to ${toPlanName} is waiting for approval`, text: `The new monthly total is above the account's billing cap, so our team approves it first. Nothing is charged until then; you will hear from us.` };
  await raiseAccountNotice(ctx.notify, { accountId, planId: r.toPlanId, ref: r.planChangeId, facts: { ...facts, planName: toPlanName, severity: "info" } });
}

function accountIdOf(ctx: BillingContext, planChangeId: string): string {
  return ctx.db.select({ a: planChanges.accountId }).from(planChanges).where(eq(planChanges.id, planChangeId)).get()!.a;
}

/**
 * The customer's confirmation, as the portal sends it: confirmed through the billing provider, and
 * the first confirmation of a quote audited (a replay changes nothing and is not audited again).
 */
export async function confirmPlanChangeAs(ctx: BillingContext, accountId: string, raw: ConfirmPlanChangeInput, who: Consenter): Promise<PlanChangeResult> {
  const result = await confirmPlanChangeWithProvider(ctx, accountId, raw, who);
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
