import { listAccounts } from "../../accounts/accounts";
import { getUsageOverview } from "../../metering/usage-summary";
import { operatorProcedure, router } from "../trpc";

export const operatorRouter = router({
  /** Every account with its plan, mode and today's counts. */
  accounts: operatorProcedure.query(({ ctx }) => {
    const now = ctx.deps.clock.now();
    return listAccounts(ctx.deps.db).map((a) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      planId: a.plan.id,
      planName: a.plan.name,
      enforcement: a.enforcement,
      today: getUsageOverview(ctx.deps.db, ctx.deps.meter, a, now).today,
    }));
  }),
});
