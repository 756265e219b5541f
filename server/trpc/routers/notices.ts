import { z } from "zod";
import { DomainError } from "../../lib/domain-error";
import { bannerOnWire, showBanner } from "../../notify/banner";
import { ALWAYS_EMAILED, dismissNotice, emailPreferences, listNotices, NOTICE_KINDS, setEmailPreference } from "../../notify/notices";
import { customerProcedure, router } from "../trpc";

export const noticesRouter = router({
  /** The banner at the top of every portal page (null when there is nothing to say). */
  banner: customerProcedure.query(({ ctx }) => bannerOnWire(showBanner(ctx.deps, ctx.accountId))),

  /** Hides the banner for this notice; a new notice brings a banner back. */
  dismiss: customerProcedure.input(z.object({ noticeId: z.string().min(1).max(100) })).mutation(({ ctx, input }) => {
    if (!dismissNotice(ctx.deps.db, ctx.accountId, input.noticeId, ctx.deps.clock.now())) throw new DomainError("NOT_FOUND", "No such notice.");
    return { dismissed: true };
  }),

  /** Every notice of the account, newest first, with the words and the figures of the time. */
  list: customerProcedure.query(({ ctx }) =>
    listNotices(ctx.deps.notify, ctx.accountId).map((n) => ({
      id: n.id,
      kind: n.kind,
      window: n.window,
      createdAtMs: n.createdAtMs,
      deliveredAtMs: n.deliveredAtMs,
      dismissedAtMs: n.dismissedAtMs,
      message: n.message,
      links: { upgrade: n.links.upgrade, usage: n.links.usage, contact: n.links.contact },
    })),
  ),

  preferences: customerProcedure.query(({ ctx }) => emailPreferences(ctx.deps.db, ctx.accountId)),

  setPreference: customerProcedure
    .input(z.object({ kind: z.enum(NOTICE_KINDS as [string, ...string[]]), email: z.boolean() }))
    .mutation(({ ctx, input }) => {
      if (ALWAYS_EMAILED.has(input.kind)) throw new DomainError("BAD_INPUT", "Enforcement notices are always e-mailed, so that no call is refused without warning.");
      setEmailPreference(ctx.deps.db, ctx.accountId, input.kind, input.email);
      return emailPreferences(ctx.deps.db, ctx.accountId);
    }),
});
