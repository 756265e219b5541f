import { router } from "./trpc";
import { operatorRouter } from "./routers/operator";
import { plansRouter } from "./routers/plans";
import { sessionRouter } from "./routers/session";
import { usageRouter } from "./routers/usage";

export const appRouter = router({
  session: sessionRouter,
  usage: usageRouter,
  plans: plansRouter,
  operator: operatorRouter,
});

export type AppRouter = typeof appRouter;
