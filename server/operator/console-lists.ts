import { listAnomalies, listInvoices, listOutbox, outboxCounts } from "../db/queries/operator";
import type { Store } from "../db/queries/store";

/** What the console lists, for the transports: they call these and never reach the storage layer themselves. */
export const consoleLists = {
  invoices: (db: Store, input: { accountId?: string }) => listInvoices(db, { accountId: input.accountId, limit: 200 }),
  anomalies: (db: Store, input: { includeAcknowledged: boolean }) => listAnomalies(db, input),
  outbox: (db: Store, input: { accountId?: string; limit: number }) => listOutbox(db, input),
  outboxCounts: (db: Store) => outboxCounts(db),
};
