import { and, desc, eq, gte, like, lte, type SQL } from "drizzle-orm";
import { auditLog } from "../../schema";
import type { Db } from "../../client";

/** Who did what, when: the audit trail as the storage boundary answers it. */

export interface AuditEntryRow {
  id: string;
  atMs: number;
  actor: string;
  action: string;
  accountId: string | null;
  details: Record<string, unknown>;
}

export async function insertAuditEntry(db: Db, entry: AuditEntryRow): Promise<void> {
  db.insert(auditLog)
    .values({ id: entry.id, atMs: entry.atMs, actor: entry.actor, action: entry.action, accountId: entry.accountId, detailsJson: JSON.stringify(entry.details) })
    .run();
}

/** Newest first; `action` matches a prefix ("billing." finds paused and resumed). */
export async function listAuditEntries(db: Db, filter: { accountId?: string; action?: string; fromMs?: number; toMs?: number; limit?: number }): Promise<AuditEntryRow[]> {
  const where: SQL[] = [];
  if (filter.accountId) where.push(eq(auditLog.accountId, filter.accountId));
  if (filter.action) where.push(like(auditLog.action, `${filter.action}%`));
  if (filter.fromMs !== undefined) where.push(gte(auditLog.atMs, filter.fromMs));
  if (filter.toMs !== undefined) where.push(lte(auditLog.atMs, filter.toMs));
  return db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.atMs))
    .limit(filter.limit ?? 200)
    .all()
    .map((r) => ({ id: r.id, atMs: r.atMs, actor: r.actor, action: r.action, accountId: r.accountId, details: JSON.parse(r.detailsJson) as Record<string, unknown> }));
}
