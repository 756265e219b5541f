import { eq } from "drizzle-orm";
import type { Tx } from "../db/queries/store";
import { invoiceLines, invoices } from "../db/schema";
import { newId } from "../lib/ids";
import { isBillingPaused } from "./billing-pause";
import type { BillingProvider, ChargeResult, InvoiceDraft } from "./billing-provider";
import { nextInvoiceNumber } from "./invoice-number";

/** Invoices in SQLite, paid on issue (or queued while billing is paused). The default provider. */
export class LocalBillingProvider implements BillingProvider {
  readonly name = "local" as const;

  invoice(tx: Tx, draft: InvoiceDraft, nowMs: number): ChargeResult {
    const existing = tx.select({ id: invoices.id, status: invoices.status }).from(invoices).where(eq(invoices.dedupeKey, draft.dedupeKey)).get();
    if (existing) return existing.status === "queued" ? { kind: "queued", invoiceId: existing.id } : { kind: "paid", invoiceId: existing.id };
    const total = draft.lines.reduce((s, l) => s + l.amountMinor, 0);
    const id = newId("inv");
    // The pause switch as stored, read in this transaction: another process may have flipped it.
    const status = total > 0 && isBillingPaused(tx) ? "queued" : "paid";
    tx.insert(invoices)
      .values({
        id,
        accountId: draft.accountId,
        number: nextInvoiceNumber(tx),
        kind: draft.kind,
        periodStartMs: draft.periodStartMs,
        periodEndMs: draft.periodEndMs,
        totalMinor: total,
        currency: draft.currency,
        status,
        dedupeKey: draft.dedupeKey,
        createdAtMs: nowMs,
      })
      .run();
    for (const line of draft.lines) {
      tx.insert(invoiceLines)
        .values({ id: newId("il"), invoiceId: id, kind: line.kind, description: line.description, quantity: line.quantity, amountMinor: line.amountMinor, periodStartMs: line.periodStartMs ?? null, periodEndMs: line.periodEndMs ?? null })
        .run();
    }
    return status === "queued" ? { kind: "queued", invoiceId: id } : { kind: "paid", invoiceId: id };
  }
}
