import { createHash, timingSafeEqual } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { requestEmailSignIn } from "../../auth/email-sign-in";
import { createSignInLink, endSession, operatorNameSchema, redeemSignInLink } from "../../auth/sign-in";
import { findAccount } from "../../accounts/accounts";
import { publicProcedure, router } from "../trpc";

export const sessionRouter = router({
  /** Who is signed in, or null. The SPA uses it to choose between portal, console and sign-in. */
  me: publicProcedure.query(async ({ ctx }) => {
    const s = ctx.session;
    if (!s) return null;
    if (s.role === "operator") return { role: "operator" as const, returnUrl: s.returnUrl, operatorName: s.operatorName, account: null };
    const account = s.accountId ? await findAccount(ctx.deps.db, ctx.deps.catalog, s.accountId) : undefined;
    if (!account) return null;
    return {
      role: "customer" as const,
      returnUrl: s.returnUrl,
      account: { id: account.id, name: account.name, email: account.email, planId: account.plan.id, planName: account.plan.name },
    };
  }),
  /** The provider's brand (name, logo, colour, support address, legal link): the portal shows it before anyone signs in. */
  brand: publicProcedure.query(({ ctx }) => ctx.deps.notify.brand),
  /** Which ways of signing in this server offers. */
  options: publicProcedure.query(({ ctx }) => ({ emailLink: true, adminToken: Boolean(ctx.deps.config.HEADROOM_ADMIN_TOKEN) })),

  /** E-mails a one-time sign-in link; the answer is the same whether the address has an account or not. */
  requestEmailLink: publicProcedure.input(z.object({ email: z.email("Enter an e-mail address like name@company.com.").max(254, "An e-mail address has at most 254 characters.") })).mutation(async ({ ctx, input }) => {
    await requestEmailSignIn(ctx.deps.db, ctx.deps.clock, { email: input.email, baseUrl: ctx.deps.baseUrl(), smtp: Boolean(ctx.deps.config.SMTP_URL), brand: ctx.deps.notify.brand });
    return { sent: true as const };
  }),

  /** Operators sign in to the console with HEADROOM_ADMIN_TOKEN (when it is configured), with their name for the audit log. */
  operatorSignIn: publicProcedure.input(z.object({ token: z.string().min(1).max(512), name: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), operatorNameSchema.optional()) })).mutation(async ({ ctx, input }) => {
    const expected = ctx.deps.config.HEADROOM_ADMIN_TOKEN;
    const digest = (v: string) => createHash("sha256").update(v).digest();
    if (!expected || !timingSafeEqual(digest(input.token), digest(expected))) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: "That admin token is not valid." });
    }
    const ttlMs = ctx.deps.config.SESSION_TTL_MINUTES * 60_000;
    const link = await createSignInLink(ctx.deps.db, ctx.deps.clock, { role: "operator", operatorName: input.name ?? null });
    const { sessionId } = await redeemSignInLink(ctx.deps.db, ctx.deps.clock, link.token, ttlMs, "admin-token");
    ctx.startSession(sessionId, ttlMs);
    ctx.deps.logger.info({ role: "operator", via: "admin-token" }, "signed in");
    return { signedIn: true as const };
  }),

  signOut: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.sessionId) await endSession(ctx.deps.db, ctx.sessionId);
    ctx.clearSessionCookie();
    return { signedOut: true };
  }),
});
