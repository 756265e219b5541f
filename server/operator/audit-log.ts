import { and, desc, eq, gte, like, lte, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditLog } from "../db/schema";
import type { Clock } from "../lib/clock";
import { newId } from "../lib/ids";

export type AuditAction =
  | "sign_in"
  | "key.created"
  | "key.revoked"
  | "plan_change.confirmed"
  | "plan_change.cancelled"
  | "approval.decided"
  | "enforcement.changed"
  | "grandfathering.set"
  | "billing.paused"
  | "billing.resumed"
  | "refund.issued"
  | "anomaly.acknowledged"
  | "support.replied";

export function recordAudit(db: Db, clock: Clock, entry: { actor: string; action: AuditAction; accountId?: string | null; details?: Record<string, unknown> }): void {
  db.insert(auditLog)
    .values({ id: newId("aud"), atMs: clock.now(), actor: entry.actor, action: entry.action, accountId: entry.accountId ?? null, detailsJson: JSON.stringify(entry.details ?? {}) })
    .run();
}

export function listAudit(db: Db, filter: { accountId?: string; action?: string; fromMs?: number; toMs?: number; limit?: number }) {
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
