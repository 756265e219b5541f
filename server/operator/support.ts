import { z } from "zod";
import { SUPPORT_MESSAGE_MAX_CHARS, SUPPORT_MESSAGE_MIN_CHARS, SUPPORT_REPLY_MAX_CHARS, SUPPORT_REPLY_MIN_CHARS, supportMessageProblem, supportReplyProblem, supportTextLength } from "../../shared/support-text";
import { accountPlan } from "../db/queries/operator";
import type { Store } from "../db/queries/store";
import { insertSupportRequest, replyOnce, supportRequestsOf, supportRequestsWithAccounts } from "../db/queries/support";
import type { Clock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { newId } from "../lib/ids";
import { raiseAccountNotice } from "../notify/account-notices";
import type { NotifyContext } from "../notify/notices";
import { recordAudit } from "./audit-log";

/** Operators answer billing questions within four hours; older open requests stand out. */
export const RESPONSE_TARGET_MS = 4 * 3_600_000;

/** The length of the text a too_small / too_big issue was raised on (zod passes the trimmed value). */
const lengthOf = (input: unknown) => (typeof input === "string" ? supportTextLength(input) : 0);

// Every issue in words a customer can act on (never zod's "Too big: expected string to have <=4000 characters").
export const supportRequestInput = z.object({
  topic: z.enum(["plan", "bill", "limits", "other"], { error: "Choose a topic for your question." }),
  message: z
    .string({ error: "Write your question first (at least 10 characters)." })
    .trim()
    .min(SUPPORT_MESSAGE_MIN_CHARS, { error: (iss) => supportMessageProblem(lengthOf(iss.input)) ?? undefined })
    .max(SUPPORT_MESSAGE_MAX_CHARS, { error: (iss) => supportMessageProblem(lengthOf(iss.input)) ?? undefined }),
});

export async function createSupportRequest(db: Store, clock: Clock, accountId: string, raw: z.input<typeof supportRequestInput>) {
  const input = supportRequestInput.parse(raw);
  return insertSupportRequest(db, { id: newId("sup"), accountId, topic: input.topic, message: input.message, createdAtMs: clock.now() });
}

export function customerSupportRequests(db: Store, accountId: string) {
  return supportRequestsOf(db, accountId);
}

/** The operators' queue: open requests first (oldest first), each with its response clock. */
export async function supportQueue(db: Store, nowMs: number) {
  const rows = await supportRequestsWithAccounts(db);
  return rows
    .map(({ request: r, account: a }) => ({
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

export const supportReplyInput = z.object({
  requestId: z.string({ error: "Choose the request to answer." }).min(1, "Choose the request to answer.").max(100, "No such request."),
  reply: z
    .string({ error: "Write a reply first." })
    .trim()
    .min(SUPPORT_REPLY_MIN_CHARS, { error: (iss) => supportReplyProblem(lengthOf(iss.input)) ?? undefined })
    .max(SUPPORT_REPLY_MAX_CHARS, { error: (iss) => supportReplyProblem(lengthOf(iss.input)) ?? undefined }),
});

/** The reply goes to the customer by e-mail and shows in the portal. */
export async function replySupportRequest(ctx: { db: Store; clock: Clock; notify: NotifyContext }, raw: z.input<typeof supportReplyInput>, actor: string) {
  const input = supportReplyInput.parse(raw);
  const now = ctx.clock.now();
  const done = await replyOnce(ctx.db, { requestId: input.requestId, reply: input.reply, repliedBy: actor, atMs: now });
  if (done === "answered") throw new DomainError("CONFLICT", "This request has already been answered.");
  if (done === "not_found") throw new DomainError("NOT_FOUND", "No such request.");
  const account = (await accountPlan(ctx.db, done.accountId))!;
  await raiseAccountNotice(ctx.notify, {
    accountId: account.id,
    planId: account.planId,
    ref: done.id,
    facts: { kind: "support_reply", planName: account.planId, severity: "info", title: "We answered your billing question", text: input.reply },
  });
  await recordAudit(ctx.db, ctx.clock, { actor, action: "support.replied", accountId: account.id, details: { requestId: done.id, responseMinutes: Math.round((now - done.createdAtMs) / 60_000) } });
  return { repliedAtMs: now };
}
