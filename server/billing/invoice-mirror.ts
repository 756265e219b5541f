import { and, eq } from "drizzle-orm";
import type { Tx } from "../db/queries/store";
import { invoiceLines, invoices } from "../db/schema";
import { newId } from "../lib/ids";
import type { InvoiceMirror } from "./billing-provider";
import { nextInvoiceNumber } from "./invoice-number";

// Paid and void are final: a late "open" (an out-of-order event) never moves an invoice back.
const RANK: Record<InvoiceMirror["status"], number> = { open: 0, paid: 1, void: 1 };

/**
 * Records (or updates) the local copy of an invoice the remote provider issued, keyed by its id there:
 * a confirmation, a webhook and a replay all land on the same row. Returns the local invoice id.
 */
export function mirrorInvoice(tx: Tx, accountId: string, m: InvoiceMirror, opts: { kind: "proration" | "period"; dedupeKey: string; nowMs: number }): string {
  const existing = tx.select().from(invoices).where(eq(invoices.stripeInvoiceId, m.remoteId)).get() ?? tx.select().from(invoices).where(eq(invoices.dedupeKey, opts.dedupeKey)).get();
  if (existing) {
    const current = existing.status === "queued" ? "open" : existing.status;
    if (RANK[m.status] > RANK[current]) tx.update(invoices).set({ status: m.status }).where(and(eq(invoices.id, existing.id), eq(invoices.status, existing.status))).run();
    if (!existing.stripeInvoiceId) tx.update(invoices).set({ stripeInvoiceId: m.remoteId }).where(eq(invoices.id, existing.id)).run();
    return existing.id;
  }
  const id = newId("inv");
  tx.insert(invoices)
    .values({
      id,
      accountId,
      number: nextInvoiceNumber(tx),
      kind: opts.kind,
      periodStartMs: m.periodStartMs,
      periodEndMs: m.periodEndMs,
      totalMinor: m.totalMinor,
      currency: m.currency,
      status: m.status,
      dedupeKey: opts.dedupeKey,
      stripeInvoiceId: m.remoteId,
      createdAtMs: opts.nowMs,
    })
    .run();
  for (const line of m.lines) {
    tx.insert(invoiceLines)
      .values({ id: newId("il"), invoiceId: id, kind: line.kind, description: line.description, quantity: line.quantity, amountMinor: line.amountMinor, periodStartMs: line.periodStartMs ?? null, periodEndMs: line.periodEndMs ?? null })
      .run();
  }
  return id;
}
