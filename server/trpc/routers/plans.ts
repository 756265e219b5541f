import { PLAN_LIST } from "../../../shared/plans";
import { publicProcedure, router } from "../trpc";

export const plansRouter = router({
  /** The public catalog, in display order. */
  list: publicProcedure.query(() => PLAN_LIST.filter((p) => p.public)),
});
