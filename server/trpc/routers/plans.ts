import { PLAN_LIST } from "../../../shared/plans";
import { DomainError } from "../../lib/domain-error";
import { customerProcedure, publicProcedure, router } from "../trpc";

export const plansRouter = router({
  /** The public catalog, in display order. */
  list: publicProcedure.query(() => PLAN_LIST.filter((p) => p.public)),
  /** The public plans against the signed-in customer's last 30 days: a verdict and a cost for each, and a recommendation. */
  compare: customerProcedure.query(async ({ ctx }) => {
    const view = await ctx.deps.advisor.compare(ctx.accountId);
    if (!view) throw new DomainError("NOT_FOUND", "No such account.");
    return view;
  }),
});
