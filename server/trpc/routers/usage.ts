import { getAccount } from "../../accounts/accounts";
import { getUsageOverview } from "../../metering/usage-summary";
import { customerProcedure, router } from "../trpc";

export const usageRouter = router({
  /** The signed-in customer's plan, caps and where they stand in each window. */
  overview: customerProcedure.query(({ ctx }) => {
    const { db, clock } = ctx.deps;
    const account = getAccount(db, ctx.accountId);
    const now = clock.now();
    const overview = getUsageOverview(db, account, now);
    return {
      nowMs: now,
      account: { id: account.id, name: account.name, email: account.email, enforcement: account.enforcement },
      plan: {
        id: account.plan.id,
        name: account.plan.name,
        priceMinor: account.plan.priceMinor,
        currency: account.plan.currency,
        caps: account.caps,
      },
      ...overview,
    };
  }),
});
