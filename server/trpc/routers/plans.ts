import type { CatalogData } from "../../../shared/catalog";
import { catalogFor } from "../../plans/catalog-view";
import { DomainError } from "../../lib/domain-error";
import { customerProcedure, publicProcedure, router } from "../trpc";

export const plansRouter = router({
  /**
   * The catalog as the viewer may see it, in display order: the public plans, the signed-in
   * customer's own plan when it is not public, every plan for an operator.
   */
  list: publicProcedure.query(({ ctx }): Promise<CatalogData> => catalogFor(ctx.deps.db, ctx.deps.catalog, ctx.session)),
  /** The public plans against the signed-in customer's last 30 days: a verdict and a cost for each, and a recommendation. */
  compare: customerProcedure.query(async ({ ctx }) => {
    const view = await ctx.deps.advisor.compare(ctx.accountId);
    if (!view) throw new DomainError("NOT_FOUND", "No such account.");
    return view;
  }),
});
