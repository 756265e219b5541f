import { insertInvoiceInTx, invoiceByDedupeKeyInTx, invoiceByRemoteIdInTx, moveInvoiceInTx, setRemoteInvoiceIdInTx } from "../db/queries/invoices";
import type { Unit } from "../db/queries/unit";
import { newId } from "../lib/ids";
import type { InvoiceMirror } from "./billing-provider";
import { nextInvoiceNumber } from "./invoice-number";

// Paid and void are final: a late "open" (an out-of-order event) never moves an invoice back.
const RANK: Record<InvoiceMirror["status"], number> = { open: 0, paid: 1, void: 1 };

/**
 * Records (or updates) the local copy of an invoice the remote provider issued, keyed by its id there:
 * a confirmation, a webhook and a replay all land on the same row. Runs inside the caller's unit of
 * work (the commit of a plan change, a webhook's event). Returns the local invoice id.
 */
export function* mirrorInvoice(accountId: string, m: InvoiceMirror, opts: { kind: "proration" | "period"; dedupeKey: string; nowMs: number }): Unit<string> {
  const existing = (yield* invoiceByRemoteIdInTx(m.remoteId)) ?? (yield* invoiceByDedupeKeyInTx(opts.dedupeKey));
  if (existing) {
    const current = existing.status === "queued" ? "open" : existing.status;
    if (RANK[m.status] > RANK[current]) yield* moveInvoiceInTx(existing.id, existing.status, m.status);
    if (!existing.stripeInvoiceId) yield* setRemoteInvoiceIdInTx(existing.id, m.remoteId);
    return existing.id;
  }
  const id = newId("inv");
  const number = yield* nextInvoiceNumber();
  yield* insertInvoiceInTx(
    {
      id,
      accountId,
      number,
      kind: opts.kind,
      periodStartMs: m.periodStartMs,
      periodEndMs: m.periodEndMs,
      totalMinor: m.totalMinor,
      currency: m.currency,
      status: m.status,
      dedupeKey: opts.dedupeKey,
      stripeInvoiceId: m.remoteId,
      createdAtMs: opts.nowMs,
    },
    m.lines.map((line) => ({ ...line, id: newId("il") })),
  );
  return id;
}
