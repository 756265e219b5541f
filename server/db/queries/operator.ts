import * as pg from "../pg/queries/operator";
import * as lite from "../sqlite/queries/operator";
import { twins } from "./dispatch";
import { invoiceByDedupeKeyInTx } from "./invoices";
import { inTransaction } from "./plan-changes";
import type { Store } from "./dispatch";
import type { Unit } from "./unit";

export type * from "../sqlite/queries/operator";

/** The operator queries on either dialect (./dispatch). */
export const { listInvoices, listAnomalies, listOutbox, outboxCounts, planEnforcementSetting, storeEnforcement, grandfatherAccounts, accountPlan, collectQueuedInvoices, queuedInvoiceCount, findInvoice, invoiceByDedupeKey, refundedFor, acknowledgeAnomalyOnce, usageDaysOf, recentNoticesOf, lastPlanChangeOf, callsPerMinute, allAccountTerms, callsPerDay, callsOverCaps, invoicesCreatedBetween, noticesOfKindsBetween, noticeCountsByKind, deliveryCountsByStatus, quoteTimesOf, appliedPlanChangesOf, planChangesCreatedBetween, refundedInvoiceIds } = twins(lite, pg);

/**
 * Issues an invoice once per dedupe key: in one transaction, the invoice already recorded under the
 * key (replayed), or the one `issue` records. `issue` is the billing provider's invoicing, a part of
 * a unit of work (./unit), run inside this one.
 */
export async function issueInvoiceOnce(db: Store, dedupeKey: string, issue: () => Unit<string>): Promise<{ invoiceId: string; replayed: boolean }> {
  return inTransaction(db, function* () {
    const first = yield* invoiceByDedupeKeyInTx(dedupeKey);
    if (first) return { invoiceId: first.id, replayed: true };
    return { invoiceId: yield* issue(), replayed: false };
  });
}
