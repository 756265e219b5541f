import { endSession } from "../../auth/sign-in";
import { findAccount } from "../../accounts/accounts";
import { publicProcedure, router } from "../trpc";

export const sessionRouter = router({
  /** Who is signed in, or null. The SPA uses it to choose between portal, console and sign-in. */
  me: publicProcedure.query(({ ctx }) => {
    const s = ctx.session;
    if (!s) return null;
    if (s.role === "operator") return { role: "operator" as const, returnUrl: s.returnUrl, account: null };
    const account = s.accountId ? findAccount(ctx.deps.db, s.accountId) : undefined;
    if (!account) return null;
    return {
      role: "customer" as const,
      returnUrl: s.returnUrl,
      account: { id: account.id, name: account.name, email: account.email, planId: account.plan.id, planName: account.plan.name },
    };
  }),
  signOut: publicProcedure.mutation(({ ctx }) => {
    if (ctx.sessionId) endSession(ctx.deps.db, ctx.sessionId);
    ctx.clearSessionCookie();
    return { signedOut: true };
  }),
});
