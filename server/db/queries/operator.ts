import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, anomalies, invoices, outbox } from "../schema";

/**
 * The console's lists, as the storage boundary answers them: asynchronous, so that the transports
 * never hold a database handle and another store can answer the same calls.
 */

export async function listInvoices(db: Db, input: { accountId?: string; limit?: number }) {
  return db
    .select()
    .from(invoices)
    .innerJoin(accounts, eq(accounts.id, invoices.accountId))
    .where(input.accountId ? eq(invoices.accountId, input.accountId) : undefined)
    .orderBy(desc(invoices.createdAtMs))
    .limit(input.limit ?? 200)
    .all()
    .map(({ invoices: i, accounts: a }) => ({ id: i.id, number: i.number, accountId: a.id, accountName: a.name, kind: i.kind, status: i.status, totalMinor: i.totalMinor, currency: i.currency, createdAtMs: i.createdAtMs }));
}

export async function listAnomalies(db: Db, input: { includeAcknowledged: boolean }) {
  return db
    .select()
    .from(anomalies)
    .innerJoin(accounts, eq(accounts.id, anomalies.accountId))
    .innerJoin(invoices, eq(invoices.id, anomalies.invoiceId))
    .where(input.includeAcknowledged ? undefined : isNull(anomalies.acknowledgedAtMs))
    .orderBy(desc(anomalies.createdAtMs))
    .all()
    .map((r) => ({
      id: r.anomalies.id,
      accountId: r.accounts.id,
      accountName: r.accounts.name,
      invoiceNumber: r.invoices.number,
      previousTotalMinor: r.anomalies.previousTotalMinor,
      totalMinor: r.anomalies.totalMinor,
      currency: r.anomalies.currency,
      createdAtMs: r.anomalies.createdAtMs,
      acknowledgedAtMs: r.anomalies.acknowledgedAtMs,
      periodStartMs: r.invoices.periodStartMs,
      periodEndMs: r.invoices.periodEndMs,
    }));
}

/** E-mails and webhooks as sent (or, without SMTP, as they would have been), newest first. */
export async function listOutbox(db: Db, input: { accountId?: string; limit: number }) {
  return db
    .select()
    .from(outbox)
    .where(input.accountId ? and(eq(outbox.accountId, input.accountId), inArray(outbox.channel, ["email", "webhook"])) : undefined)
    .orderBy(desc(outbox.createdAtMs))
    .limit(input.limit)
    .all()
    .map((m) => {
      const payload = JSON.parse(m.payloadJson) as { text?: string; html?: string };
      return { id: m.id, channel: m.channel, recipient: m.recipient, subject: m.subject, status: m.status, attempts: m.attempts, lastError: m.lastError, createdAtMs: m.createdAtMs, sentAtMs: m.sentAtMs, text: payload.text ?? null, html: payload.html ?? null };
    });
}

/** Messages in the outbox by channel and status, for /metrics. */
export async function outboxCounts(db: Db): Promise<Array<{ channel: string; status: string; n: number }>> {
  return db.select({ channel: outbox.channel, status: outbox.status, n: sql<number>`count(*)` }).from(outbox).groupBy(outbox.channel, outbox.status).all();
}
