import { PLAN_LIST } from "../../../shared/plans";
import { getAccount } from "../../accounts/accounts";
import { comparePlans } from "../../plans/compare-plans";
import { customerProcedure, publicProcedure, router } from "../trpc";

export const plansRouter = router({
  /** The public catalog, in display order. */
  list: publicProcedure.query(() => PLAN_LIST.filter((p) => p.public)),
  /** The public plans against the signed-in customer's last 30 days: a verdict and a cost for each, and a recommendation. */
  compare: customerProcedure.query(({ ctx }) => {
    const { db, clock } = ctx.deps;
    return comparePlans(db, getAccount(db, ctx.accountId), clock.now());
  }),
});
