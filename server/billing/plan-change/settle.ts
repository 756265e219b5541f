import { PLAN_CHANGE_REFUSALS as WORDS } from "../../../shared/messages";
import { claimForApplyInTx, consentTickedOverageInTx, markSent, planChangeInTx, updateChangeInTx, type AccountRow, type PlanChangeRow, type QuoteRow } from "../../db/queries/plan-changes";
import type { Unit } from "../../db/queries/unit";
import { DomainError } from "../../lib/domain-error";
import type { BillingContext } from "../billing-context";
import { isBillingPaused } from "../billing-pause";
import type { LineDraft, RemoteApplyOutcome } from "../billing-provider";
import { applyToAccount } from "./commit";
import { applyKeyOf } from "./input";

/** What settling a change in the local ledger came to. Anything but "applied" leaves its transaction to be rolled back. */
export type LocalSettlement = { kind: "applied"; invoiceId: string | null } | { kind: "declined"; message: string } | { kind: "payment_required" } | { kind: "taken" };

/** An approved change applied later is charged at its re-priced lines, from the moment it is applied. */
export interface Repriced {
  lines: LineDraft[];
  atMs: number;
  periodEndMs: number;
}

/**
 * Step 3, local provider: in the unit of work that recorded the change (or approved it), the
 * invoice is issued and the account takes the new terms, once. "taken" when another request or
 * process applied it first.
 */
export function* settleLocally(ctx: Pick<BillingContext, "catalog" | "provider">, planChangeId: string, quote: QuoteRow, nowMs: number, repriced?: Repriced): Unit<LocalSettlement> {
  const change = yield* planChangeInTx(planChangeId);
  if (!change || !(yield* claimForApplyInTx(planChangeId, nowMs))) return { kind: "taken" };
  const overage = yield* consentTickedOverageInTx(change.consentId);
  const atMs = repriced?.atMs ?? quote.prorationAtMs;
  if (quote.kind !== "plan_change") {
    yield* applyToAccount(ctx.catalog, quote, overage, atMs);
    return { kind: "applied", invoiceId: null };
  }
  const lines = repriced?.lines ?? (JSON.parse(quote.linesJson) as LineDraft[]);
  let invoiceId: string | null = null;
  if (lines.length > 0) {
    const charge = yield* ctx.provider.invoice(
      { accountId: quote.accountId, kind: "proration", periodStartMs: atMs, periodEndMs: repriced?.periodEndMs ?? quote.recurringFromMs, currency: quote.currency, lines, dedupeKey: `quote:${quote.id}` },
      nowMs,
    );
    if (charge.kind === "declined") return { kind: "declined", message: charge.message };
    if (charge.kind === "payment_required") return { kind: "payment_required" };
    invoiceId = charge.invoiceId;
  }
  yield* applyToAccount(ctx.catalog, quote, overage, atMs);
  yield* updateChangeInTx(planChangeId, { effectiveAtMs: atMs, invoiceId });
  return { kind: "applied", invoiceId };
}

/** A local settlement that did not apply becomes the customer's error, rolling its transaction back: nothing charged, nothing changed. */
export function mustApply(s: LocalSettlement): void {
  if (s.kind === "applied") return;
  if (s.kind === "declined") throw new DomainError("PRECONDITION_FAILED", WORDS.declined(s.message));
  if (s.kind === "payment_required") throw new DomainError("PRECONDITION_FAILED", WORDS.paymentMethodNeeded);
  throw new DomainError("CONFLICT", WORDS.alreadySettled);
}

/** What settling a change at the remote provider came to. */
export type RemoteSettlement =
  /** The provider answered (applied, scheduled, at checkout, payment pending, failed): to be committed. */
  | { kind: "answered"; outcome: RemoteApplyOutcome }
  /** Not sent: the consent no longer describes what would be charged, or charges are paused. */
  | { kind: "not_sent"; status: "needs_consent" | "failed"; message: string }
  /** Settled meanwhile by another process (or a webhook): nothing was sent. */
  | { kind: "taken" };

/**
 * Step 3, remote provider (Stripe), outside any transaction. A change not sent yet is re-priced at
 * its own proration second first (a different amount is never charged: the customer re-consents)
 * and marked as sent before the call; a change sent before is sent again with the same key, and the
 * provider replays its first answer.
 */
export async function settleRemotely(ctx: Pick<BillingContext, "db" | "clock" | "provider">, change: PlanChangeRow, quote: QuoteRow, account: AccountRow): Promise<RemoteSettlement> {
  const remote = ctx.provider.remote;
  if (!remote) throw new Error("settleRemotely needs a remote billing provider");
  if (change.providerSentAtMs === null) {
    if (quote.pricedBy === "stripe") {
      const amountNow = await remote.repriceQuote(account, quote);
      if (amountNow !== quote.amountDueNowMinor) return { kind: "not_sent", status: "needs_consent", message: WORDS.priceChanged(amountNow, quote.amountDueNowMinor, quote.currency) };
    }
    if (quote.amountDueNowMinor > 0 && (await isBillingPaused(ctx.db))) return { kind: "not_sent", status: "failed", message: WORDS.paused };
    if (!(await markSent(ctx.db, change.id, ctx.clock.now()))) return { kind: "taken" };
  }
  return { kind: "answered", outcome: await remote.applyChange(account, change, quote, change.idempotencyKey ?? applyKeyOf(quote.id)) };
}
