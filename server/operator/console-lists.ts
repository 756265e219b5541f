import type { Db } from "../db/client";
import { listAnomalies, listInvoices, listOutbox, outboxCounts } from "../db/queries/operator";

/** What the console lists, for the transports: they call these and never reach the storage layer themselves. */
export const consoleLists = {
  invoices: (db: Db, input: { accountId?: string }) => listInvoices(db, { accountId: input.accountId, limit: 200 }),
  anomalies: (db: Db, input: { includeAcknowledged: boolean }) => listAnomalies(db, input),
  outbox: (db: Db, input: { accountId?: string; limit: number }) => listOutbox(db, input),
  outboxCounts: (db: Db) => outboxCounts(db),
};
