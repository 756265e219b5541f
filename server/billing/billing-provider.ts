import type { Db } from "../db/client";

/** One invoice line, amounts in minor units of the invoice's currency. */
export interface LineDraft {
  kind: "plan" | "proration_credit" | "proration_charge" | "overage" | "metered" | "credit";
  description: string;
  quantity: number;
  amountMinor: number;
  periodStartMs?: number;
  periodEndMs?: number;
}

export interface InvoiceDraft {
  accountId: string;
  kind: "proration" | "period" | "credit_note";
  periodStartMs: number;
  periodEndMs: number;
  currency: string;
  lines: LineDraft[];
  /** One invoice per key: a retried apply or cycle creates nothing twice. */
  dedupeKey: string;
}

export type ChargeResult = { kind: "paid"; invoiceId: string } | { kind: "queued"; invoiceId: string } | { kind: "payment_required"; url: string } | { kind: "declined"; message: string };

/**
 * Where money moves. The local provider keeps invoices in SQLite and treats them as paid; the Stripe
 * provider (STRIPE_SECRET_KEY) previews and charges through Stripe behind the same calls.
 * Every call carries an idempotency key so a retry changes nothing twice.
 */
export interface BillingProvider {
  readonly name: "local" | "stripe";
  /** Issues (and collects) an invoice; called inside the transaction that records the change. */
  invoice(tx: Db, draft: InvoiceDraft, nowMs: number): ChargeResult;
  /** Charges are held, not collected (operator "pause billing"). */
  paused(): boolean;
}
