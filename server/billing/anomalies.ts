import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { anomalyRecordedInTx, insertAnomalyInTx, invoiceInTx, previousPeriodInvoiceInTx } from "../db/queries/invoices";
import { accountRowByIdSync as accountInTx } from "../db/queries/accounts";
import type { Tx } from "../db/queries/store";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";

/** A period invoice more than this many times the previous one is an anomaly. */
export const ANOMALY_RATIO = 2;

/**
 * Records an anomaly when a period invoice is more than twice the account's previous one, whoever
 * issued it (the local calendar or Stripe). Once per invoice. Runs inside the caller's transaction;
 * returns what to do once it has committed (the customer's notice), or null.
 */
export function recordAnomalyIn(ctx: BillingContext, tx: Tx, invoiceId: string): (() => void) | null {
  const inv = invoiceInTx(tx, invoiceId);
  if (!inv || inv.kind !== "period" || inv.status === "void") return null;
  if (anomalyRecordedInTx(tx, inv.id)) return null;
  const last = previousPeriodInvoiceInTx(tx, inv);
  if (!last || last.totalMinor <= 0 || inv.totalMinor <= ANOMALY_RATIO * last.totalMinor) return null;
  const id = newId("anm");
  const now = ctx.clock.now();
  insertAnomalyInTx(tx, { id, accountId: inv.accountId, invoiceId: inv.id, previousTotalMinor: last.totalMinor, totalMinor: inv.totalMinor, currency: inv.currency, createdAtMs: now });
  const account = accountInTx(tx, inv.accountId);
  const planId = account?.planId ?? "";
  return () =>
    raiseAccountNotice(ctx.notify, {
      accountId: inv.accountId,
      planId,
      ref: id,
      facts: {
        kind: "anomaly",
        planName: ctx.catalog.nameOf(planId),
        severity: "warning",
        title: "Your bill is more than twice the last one",
        text: `Your invoice for ${formatDateUtc(inv.periodStartMs)} – ${formatDateUtc(inv.periodEndMs - 1)} is ${formatMoney(inv.totalMinor, inv.currency)}, up from ${formatMoney(last.totalMinor, last.currency)}. The usage behind it is on your Usage page; if it looks wrong, contact us from the Billing page.`,
      },
    });
}
