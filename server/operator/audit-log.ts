import { insertAuditEntry, listAuditEntries } from "../db/queries/audit";
import type { Store } from "../db/queries/store";
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
  | "plan_terms.offered"
  | "billing.paused"
  | "billing.resumed"
  | "refund.issued"
  | "anomaly.acknowledged"
  | "support.replied"
  | "experiment.created"
  | "experiment.edited"
  | "experiment.ended"
  | "experiment.opt_out_offered"
  | "experiment.rollback";

export async function recordAudit(db: Store, clock: Clock, entry: { actor: string; action: AuditAction; accountId?: string | null; details?: Record<string, unknown> }): Promise<void> {
  await insertAuditEntry(db, { id: newId("aud"), atMs: clock.now(), actor: entry.actor, action: entry.action, accountId: entry.accountId ?? null, details: entry.details ?? {} });
}

export function listAudit(db: Store, filter: { accountId?: string; action?: string; fromMs?: number; toMs?: number; limit?: number }) {
  return listAuditEntries(db, filter);
}
