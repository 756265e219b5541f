import { formatDateUtc } from "../../shared/messages";
import { formatMoney } from "../../shared/money";
import { anomalyRecordedInTx, insertAnomalyInTx, invoiceInTx, previousPeriodInvoiceInTx } from "../db/queries/invoices";
import { accountInTx } from "../db/queries/plan-changes";
import type { Unit } from "../db/queries/unit";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import type { BillingContext } from "./billing-context";

/** A period invoice more than this many times the previous one is an anomaly. */
export const ANOMALY_RATIO = 2;

/**
 * Records an anomaly when a period invoice is more than twice the account's previous one, whoever
 * issued it (the local calendar or Stripe). Once per invoice. A part of the caller's unit of work;
 * returns what to do once it has committed (the customer's notice), or null.
 */
export function* recordAnomalyIn(ctx: BillingContext, invoiceId: string): Unit<(() => void) | null> {
  const inv = yield* invoiceInTx(invoiceId);
  if (!inv || inv.kind !== "period" || inv.status === "void") return null;
  if (yield* anomalyRecordedInTx(inv.id)) return null;
  const last = yield* previousPeriodInvoiceInTx(inv);
  if (!last || last.totalMinor <= 0 || inv.totalMinor <= ANOMALY_RATIO * last.totalMinor) return null;
  const id = newId("anm");
  const now = ctx.clock.now();
  yield* insertAnomalyInTx({ id, accountId: inv.accountId, invoiceId: inv.id, previousTotalMinor: last.totalMinor, totalMinor: inv.totalMinor, currency: inv.currency, createdAtMs: now });
  const account = yield* accountInTx(inv.accountId);
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
