import { isBillingPausedInTx } from "../db/queries/billing";
import { insertInvoiceInTx, invoiceByDedupeKeyInTx } from "../db/queries/invoices";
import type { Unit } from "../db/queries/unit";
import { newId } from "../lib/ids";
import type { BillingProvider, ChargeResult, InvoiceDraft } from "./billing-provider";
import { nextInvoiceNumber } from "./invoice-number";

/** Invoices in SQLite, paid on issue (or queued while billing is paused). The default provider. */
export class LocalBillingProvider implements BillingProvider {
  readonly name = "local" as const;

  *invoice(draft: InvoiceDraft, nowMs: number): Unit<ChargeResult> {
    const existing = yield* invoiceByDedupeKeyInTx(draft.dedupeKey);
    if (existing) return existing.status === "queued" ? { kind: "queued", invoiceId: existing.id } : { kind: "paid", invoiceId: existing.id };
    const total = draft.lines.reduce((s, l) => s + l.amountMinor, 0);
    const id = newId("inv");
    // The pause switch as stored, read in this transaction: another process may have flipped it.
    const status = total > 0 && (yield* isBillingPausedInTx()) ? "queued" : "paid";
    const number = yield* nextInvoiceNumber();
    yield* insertInvoiceInTx(
      {
        id,
        accountId: draft.accountId,
        number,
        kind: draft.kind,
        periodStartMs: draft.periodStartMs,
        periodEndMs: draft.periodEndMs,
        totalMinor: total,
        currency: draft.currency,
        status,
        dedupeKey: draft.dedupeKey,
        createdAtMs: nowMs,
      },
      draft.lines.map((line) => ({ ...line, id: newId("il") })),
    );
    return status === "queued" ? { kind: "queued", invoiceId: id } : { kind: "paid", invoiceId: id };
  }
}
