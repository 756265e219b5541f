import { and, asc, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { accounts, supportRequests } from "../db/schema";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import type { NotifyContext } from "../notify/notices";
import { recordAudit } from "./audit-log";

/** Operators answer billing questions within four hours; older open requests stand out. */
export const RESPONSE_TARGET_MS = 4 * 3_600_000;

export const supportRequestInput = z.object({
  topic: z.enum(["plan", "bill", "limits", "other"]),
  message: z.string().trim().min(10, "Tell us a little more (at least 10 characters).").max(4000),
});

export function createSupportRequest(db: Db, clock: Clock, accountId: string, raw: z.input<typeof supportRequestInput>) {
  const input = supportRequestInput.parse(raw);
  return db.insert(supportRequests).values({ id: newId("sup"), accountId, topic: input.topic, message: input.message, createdAtMs: clock.now() }).returning().get();
}

export function customerSupportRequests(db: Db, accountId: string) {
  return db.select().from(supportRequests).where(eq(supportRequests.accountId, accountId)).orderBy(desc(supportRequests.createdAtMs)).all();
}

/** The operators' queue: open requests first (oldest first), each with its response clock. */
export function supportQueue(db: Db, nowMs: number) {
  const rows = db
    .select()
    .from(supportRequests)
    .innerJoin(accounts, eq(accounts.id, supportRequests.accountId))
    .orderBy(asc(supportRequests.createdAtMs))
    .all();
  return rows
    .map(({ support_requests: r, accounts: a }) => ({
      id: r.id,
      accountId: r.accountId,
      accountName: a.name,
      email: a.email,
      topic: r.topic,
      message: r.message,
      createdAtMs: r.createdAtMs,
      reply: r.reply,
      repliedAtMs: r.repliedAtMs,
      repliedBy: r.repliedBy,
      dueAtMs: r.createdAtMs + RESPONSE_TARGET_MS,
      overdue: r.repliedAtMs === null ? nowMs > r.createdAtMs + RESPONSE_TARGET_MS : r.repliedAtMs > r.createdAtMs + RESPONSE_TARGET_MS,
    }))
    .sort((x, y) => Number(x.repliedAtMs !== null) - Number(y.repliedAtMs !== null) || x.createdAtMs - y.createdAtMs);
}

export const supportReplyInput = z.object({ requestId: z.string().min(1).max(100), reply: z.string().trim().min(2).max(4000) });

/** The reply goes to the customer by e-mail and shows in the portal. */
export function replySupportRequest(ctx: { db: Db; clock: Clock; notify: NotifyContext }, raw: z.input<typeof supportReplyInput>, actor: string) {
  const input = supportReplyInput.parse(raw);
  const now = ctx.clock.now();
  const done = ctx.db
    .update(supportRequests)
    .set({ reply: input.reply, repliedBy: actor, repliedAtMs: now })
    .where(and(eq(supportRequests.id, input.requestId), isNull(supportRequests.repliedAtMs)))
    .returning()
    .get();
  if (!done) {
    const exists = ctx.db.select({ id: supportRequests.id }).from(supportRequests).where(eq(supportRequests.id, input.requestId)).get();
    throw new DomainError(exists ? "CONFLICT" : "NOT_FOUND", exists ? "This request has already been answered." : "No such request.");
  }
  const account = ctx.db.select().from(accounts).where(eq(accounts.id, done.accountId)).get()!;
  raiseAccountNotice(ctx.notify, {
    accountId: account.id,
    planId: account.planId,
    ref: done.id,
    facts: { kind: "support_reply", planName: account.planId, severity: "info", title: "We answered your billing question", text: input.reply },
  });
  recordAudit(ctx.db, ctx.clock, { actor, action: "support.replied", accountId: account.id, details: { requestId: done.id, responseMinutes: Math.round((now - done.createdAtMs) / 60_000) } });
  return { repliedAtMs: now };
}
