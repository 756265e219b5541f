import { and, desc, eq, gte, ilike, lte, type SQL } from "drizzle-orm";
import type { AuditEntryRow } from "../../queries/audit";
import type { PgDb } from "../client";
import { auditLog } from "../schema";

/** The PostgreSQL side of `server/db/queries/audit.ts`: the same functions, the same answers. */
export type { AuditEntryRow };

export async function insertAuditEntry(db: PgDb, entry: AuditEntryRow): Promise<void> {
  await db
    .insert(auditLog)
    .values({ id: entry.id, atMs: entry.atMs, actor: entry.actor, action: entry.action, accountId: entry.accountId, detailsJson: JSON.stringify(entry.details) });
}

/**
 * `ilike`, because SQLite's `like` ignores ASCII case and PostgreSQL's does not. Entries of one
 * millisecond come in id order here; SQLite gives them newest written first, an order PostgreSQL
 * keeps no column for.
 */
export async function listAuditEntries(db: PgDb, filter: { accountId?: string; action?: string; fromMs?: number; toMs?: number; limit?: number }): Promise<AuditEntryRow[]> {
  const where: SQL[] = [];
  if (filter.accountId) where.push(eq(auditLog.accountId, filter.accountId));
  if (filter.action) where.push(ilike(auditLog.action, `${filter.action}%`));
  if (filter.fromMs !== undefined) where.push(gte(auditLog.atMs, filter.fromMs));
  if (filter.toMs !== undefined) where.push(lte(auditLog.atMs, filter.toMs));
  const rows = await db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.atMs), desc(auditLog.id))
    .limit(filter.limit ?? 200);
  return rows.map((r) => ({ id: r.id, atMs: r.atMs, actor: r.actor, action: r.action, accountId: r.accountId, details: JSON.parse(r.detailsJson) as Record<string, unknown> }));
}
