import { z } from "zod";
import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import type { BillingContext } from "../billing/billing-context";
import { isBillingPaused, storeBillingPaused } from "../billing/billing-pause";
import {
  accountPlan,
  acknowledgeAnomalyOnce,
  collectQueuedInvoices,
  findInvoice,
  grandfatherAccounts,
  invoiceByDedupeKey,
  issueInvoiceOnce,
  queuedInvoiceCount,
  refundedFor,
} from "../db/queries/operator";
import { stripeLinkedAccounts } from "../db/queries/stripe";
import { DomainError } from "../lib/domain-error";
import { raiseAccountNotice } from "../notify/account-notices";
import { recordAudit } from "./audit-log";

export const grandfatherInput = z.object({
  accountIds: z.array(z.string().min(1).max(100)).min(1).max(1000),
  /** Unix ms; null ends grandfathering now. */
  untilMs: z.number().int().positive().nullable(),
});

/** Keeps accounts on their current terms until a date: no plan charge and no enforcement until then. */
export async function grandfather(ctx: BillingContext, raw: z.input<typeof grandfatherInput>, actor: string) {
  const input = grandfatherInput.parse(raw);
  const now = ctx.clock.now();
  if (input.untilMs !== null && input.untilMs <= now) throw new DomainError("BAD_INPUT", "The date must be in the future.");
  const rows = await grandfatherAccounts(ctx.db, input.accountIds, input.untilMs);
  if (!rows) throw new DomainError("NOT_FOUND", "Some of these accounts do not exist.");
  for (const row of rows) {
    await recordAudit(ctx.db, ctx.clock, { actor, action: "grandfathering.set", accountId: row.id, details: { untilMs: input.untilMs } });
    // New terms for the meter (no enforcement until the date) from the next call.
    ctx.onPlanChanged(row.id);
    const plan = ctx.catalog.plan(row.planId);
    if (input.untilMs !== null) {
      await raiseAccountNotice(ctx.notify, {
        accountId: row.id,
        planId: plan.id,
        ref: `grandfathered:${input.untilMs}`,
        facts: { kind: "terms", planName: plan.name, severity: "info", title: `You keep your current terms until ${formatDateUtc(input.untilMs)}`, text: `Until ${formatDateUtc(input.untilMs)} your ${plan.name} plan is free of charge and its caps are not enforced. After that date your plan continues at its normal price; you can change it any time.` },
      });
    }
  }
  return { updated: rows.length };
}

export async function billingPaused(ctx: BillingContext): Promise<boolean> {
  return isBillingPaused(ctx.db);
}

/**
 * Stops provider charges: new invoices are queued, visibly, until billing resumes; resuming
 * collects the queued ones. The switch lives in the database, so every process honours it.
 */
export async function setBillingPaused(ctx: BillingContext, paused: boolean, actor: string) {
  const now = ctx.clock.now();
  await storeBillingPaused(ctx.db, paused, now);
  let collected = 0;
  if (!paused) collected = await collectQueuedInvoices(ctx.db);
  // The provider's own renewals pause too; subscriptions it could not change are shown, and the switch set again retries them.
  const remote = ctx.provider.remote;
  const linked = remote ? (await stripeLinkedAccounts(ctx.db)).map((a) => ({ accountId: a.id, subscriptionId: a.stripeSubscriptionId! })) : [];
  const subscriptions = remote ? await remote.setCollectionPaused(linked, paused, `billing:${paused ? "pause" : "resume"}:${now}`) : { done: 0, failed: [] };
  await recordAudit(ctx.db, ctx.clock, { actor, action: paused ? "billing.paused" : "billing.resumed", details: { collected, subscriptions: { done: subscriptions.done, failed: subscriptions.failed.map((f) => f.subscriptionId) } } });
  return { paused, collected, subscriptions };
}

export function queuedInvoices(ctx: BillingContext): Promise<number> {
  return queuedInvoiceCount(ctx.db);
}

export const refundInput = z.object({
  invoiceId: z.string().min(1).max(100),
  /** Minor units; absent = whatever of the invoice has not been refunded yet. */
  amountMinor: z.number().int().positive().optional(),
  reason: z.string().trim().min(3, "Give a short reason: the customer sees it.").max(500),
  /** One per refund dialog: a double click or a retry refunds once. */
  requestId: z.string().min(8).max(100),
});

/**
 * Refunds an invoice or part of it as a credit note. With Stripe the money goes back first, through
 * refunds.create on the invoice's payment with the idempotency key `refund:<requestId>`: a double
 * click or a retry refunds once, at Stripe as here.
 */
export async function refundInvoice(ctx: BillingContext, raw: z.input<typeof refundInput>, actor: string) {
  const input = refundInput.parse(raw);
  const now = ctx.clock.now();
  const invoice = await findInvoice(ctx.db, input.invoiceId);
  if (!invoice || invoice.kind === "credit_note") throw new DomainError("NOT_FOUND", "No such invoice to refund.");
  if (invoice.status !== "paid") throw new DomainError("PRECONDITION_FAILED", "Only a paid invoice can be refunded.");
  const dedupeKey = `refund:${input.requestId}`;
  const existing = await invoiceByDedupeKey(ctx.db, dedupeKey);
  if (existing) return { creditNoteId: existing.id, amountMinor: -existing.totalMinor, replayed: true };
  const refunded = await refundedFor(ctx.db, invoice);
  const left = invoice.totalMinor - refunded;
  const amount = input.amountMinor ?? left;
  if (amount <= 0 || amount > left) throw new DomainError("BAD_INPUT", `At most ${formatMoney(left, invoice.currency)} of ${invoice.number} can still be refunded.`);
  const remote = ctx.provider.remote ? await ctx.provider.remote.refund(invoice, amount, dedupeKey, input.reason) : null;
  let issued: { invoiceId: string; replayed: boolean };
  try {
    // The same request ran alongside this one (Stripe replayed the refund to both): its credit note stands.
    issued = await issueInvoiceOnce(ctx.db, dedupeKey, function* () {
      const r = yield* ctx.provider.invoice(
        {
          accountId: invoice.accountId,
          kind: "credit_note",
          periodStartMs: invoice.periodStartMs,
          periodEndMs: invoice.periodEndMs,
          currency: invoice.currency,
          lines: [{ kind: "credit", description: `Refund for ${invoice.number}: ${input.reason}`, quantity: 1, amountMinor: -amount }],
          dedupeKey,
        },
        now,
      );
      return r.kind === "paid" || r.kind === "queued" ? r.invoiceId : "";
    });
  } catch (err) {
    const raced = await invoiceByDedupeKey(ctx.db, dedupeKey);
    if (raced) return { creditNoteId: raced.id, amountMinor: -raced.totalMinor, replayed: true };
    throw err;
  }
  const creditNoteId = issued.invoiceId;
  if (issued.replayed) return { creditNoteId, amountMinor: amount, replayed: true };
  await recordAudit(ctx.db, ctx.clock, { actor, action: "refund.issued", accountId: invoice.accountId, details: { invoice: invoice.number, amountMinor: amount, currency: invoice.currency, reason: input.reason, stripeRefund: remote?.refundId ?? null } });
  const account = (await accountPlan(ctx.db, invoice.accountId))!;
  await raiseAccountNotice(ctx.notify, {
    accountId: account.id,
    planId: account.planId,
    ref: dedupeKey,
    facts: { kind: "refund", planName: account.planId, severity: "info", title: `Refund of ${formatMoney(amount, invoice.currency)}`, text: `We refunded ${formatMoney(amount, invoice.currency)} of invoice ${invoice.number}: ${input.reason}.` },
  });
  return { creditNoteId, amountMinor: amount, replayed: false };
}

export async function acknowledgeAnomaly(ctx: BillingContext, anomalyId: string, actor: string): Promise<void> {
  // Acknowledged once: a second click (or another operator, on another process) changes nothing and is not audited again.
  const done = await acknowledgeAnomalyOnce(ctx.db, anomalyId, actor, ctx.clock.now());
  if (done === "before") return;
  if (done === "not_found") throw new DomainError("NOT_FOUND", "No such anomaly.");
  await recordAudit(ctx.db, ctx.clock, { actor, action: "anomaly.acknowledged", details: { anomalyId } });
}
