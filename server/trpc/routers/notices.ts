import { z } from "zod";
import { DomainError } from "../../lib/domain-error";
import { bannerOnWire, currentBannerFor, markBannerSeen } from "../../notify/banner";
import { ALWAYS_EMAILED, dismissNotice, emailPreferences, listNotices, NOTICE_KINDS, setEmailPreference } from "../../notify/notices";
import { customerProcedure, router } from "../trpc";

export const noticesRouter = router({
  /** The banner at the top of every portal page (null when there is nothing to say). Reading it changes nothing. */
  banner: customerProcedure.query(async ({ ctx }) => bannerOnWire(await currentBannerFor(ctx.deps, ctx.accountId))),

  /**
   * Sent by the portal once the banner is on screen: the notice reached the customer now (its
   * enforcement grace period starts, if nothing reached them before). A GET never does this, so a
   * cross-site navigation cannot start the grace clock unseen.
   */
  seen: customerProcedure.input(z.object({ noticeId: z.string().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    if ((await markBannerSeen(ctx.deps, ctx.accountId, input.noticeId)) === "not_found") throw new DomainError("NOT_FOUND", "No such notice.");
    return { seen: true as const };
  }),

  /** Hides the banner for this notice; a new notice brings a banner back. */
  dismiss: customerProcedure.input(z.object({ noticeId: z.string().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    if (!(await dismissNotice(ctx.deps.db, ctx.accountId, input.noticeId, ctx.deps.clock.now()))) throw new DomainError("NOT_FOUND", "No such notice.");
    return { dismissed: true };
  }),

  /** Every notice of the account, newest first, with the words and the figures of the time. */
  list: customerProcedure.query(async ({ ctx }) =>
    (await listNotices(ctx.deps.notify, ctx.accountId)).map((n) => ({
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
    .mutation(async ({ ctx, input }) => {
      if (ALWAYS_EMAILED.has(input.kind)) throw new DomainError("BAD_INPUT", "Enforcement notices are always e-mailed, so that no call is refused without warning.");
      await setEmailPreference(ctx.deps.db, ctx.accountId, input.kind, input.email);
      return emailPreferences(ctx.deps.db, ctx.accountId);
    }),
});
