import type { InvoiceRow } from "../db/queries/invoices";
import type { AccountRow, PlanChangeRow, QuoteRow } from "../db/queries/plan-changes";
import type { Unit } from "../db/queries/unit";

export type { InvoiceRow, PlanChangeRow, QuoteRow };

/** One invoice line, amounts in minor units of the invoice's currency. */
export interface LineDraft {
  /** balance: credit from the account's balance (left by an interval change) taken off this invoice. */
  kind: "plan" | "proration_credit" | "proration_charge" | "overage" | "metered" | "credit" | "balance";
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
  readonly name: "local" | "stripe" | "dodo";
  /** Issues (and collects) an invoice: a part of the unit of work that records the change. */
  invoice(draft: InvoiceDraft, nowMs: number): Unit<ChargeResult>;
  /**
   * A provider that moves money elsewhere (Stripe). Its calls are asynchronous and cannot run inside
   * a database transaction, so a confirmation is recorded first (with its idempotency key), then sent,
   * then committed. Absent for the local provider, which settles inside the transaction.
   */
  readonly remote?: RemoteBilling;
}

/** A change priced by the remote provider (Stripe's invoice preview), to be applied exactly as previewed. */
export interface RemotePricing {
  /** The second the proration was computed for (Stripe's proration_date), unix ms. */
  prorationAtMs: number;
  periodStartMs: number;
  periodEndMs: number;
  creditMinor: number;
  chargeMinor: number;
  amountDueNowMinor: number;
  lines: LineDraft[];
  subscriptionId: string;
  /** The exact items the preview was made with (JSON); the apply sends them unchanged. */
  itemsJson: string;
  /** Stripe's proration_behavior, or Dodo's proration_billing_mode. */
  prorationBehavior: "always_invoice" | "create_prorations" | "none" | "prorated_immediately" | "difference_immediately" | "full_immediately";
}

/** An invoice the remote provider issued, as mirrored into the local invoices table. */
export interface InvoiceMirror {
  remoteId: string;
  totalMinor: number;
  currency: string;
  status: "paid" | "open" | "void";
  periodStartMs: number;
  periodEndMs: number;
  lines: LineDraft[];
}

/** What the remote provider made of a consented change. */
export type RemoteApplyOutcome =
  | {
      kind: "applied";
      invoice: InvoiceMirror | null;
      /** The customer and subscription now billing the account (a Checkout creates both). */
      customerId?: string;
      subscriptionId?: string | null;
      /** Start of the billing period the provider started, when the change started a new one (unix ms). */
      periodStartMs?: number;
    }
  /** ref: what the provider scheduled (e.g. "schedule:sub_sched_…"); null when the local calendar applies it. */
  | { kind: "scheduled"; ref: string | null }
  | { kind: "payment_required"; ref: string; checkoutUrl: string }
  /** The charge failed; the provider keeps the change pending until the invoice is paid. */
  | { kind: "payment_pending"; message: string; invoice: InvoiceMirror | null }
  | { kind: "failed"; message: string };

/** The remote provider's side of billing: preview, apply (now, at checkout or scheduled), cancel, refund. */
export interface RemoteBilling {
  /** Stripe's numbers for a change that charges now on an existing subscription; null when the local quote stands. */
  priceChange(account: AccountRow, change: { toPlanId: string; toPlanVersion: number; toInterval: "month" | "year"; timing: "now" | "period_end"; atMs: number }): Promise<RemotePricing | null>;
  /** The amount due now for a quote's exact change at its own proration second. */
  repriceQuote(account: AccountRow, quote: QuoteRow): Promise<number>;
  /** Applies a consented change with our idempotency key; a retry with the same key is replayed by the provider. */
  applyChange(account: AccountRow, change: PlanChangeRow, quote: QuoteRow, idempotencyKey: string): Promise<RemoteApplyOutcome>;
  /** Undoes a scheduled change (releases the schedule, or keeps the subscription past the period end). */
  cancelScheduledChange(account: AccountRow, change: PlanChangeRow, idempotencyKey: string): Promise<void>;
  /** Refunds part of a paid invoice to the card it was paid with. */
  refund(invoice: InvoiceRow, amountMinor: number, idempotencyKey: string, reason: string): Promise<{ refundId: string }>;
  /** Pauses (or resumes) the provider's own collection on each subscription; those it could not change are listed, not thrown. */
  setCollectionPaused(subscriptions: ReadonlyArray<{ accountId: string; subscriptionId: string }>, paused: boolean, idempotencyKey: string): Promise<CollectionPauseReport>;
}

export interface CollectionPauseReport {
  /** Subscriptions now as asked (changed, or already so). */
  done: number;
  failed: Array<{ accountId: string; subscriptionId: string; message: string }>;
}

/** The provider could not be reached (after retries): the outcome is unknown, the change is retried with the same key. */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProviderUnavailableError";
  }
}
