import { router } from "./trpc";
import { billingRouter } from "./routers/billing";
import { keysRouter } from "./routers/keys";
import { noticesRouter } from "./routers/notices";
import { operatorRouter } from "./routers/operator";
import { plansRouter } from "./routers/plans";
import { sessionRouter } from "./routers/session";
import { supportRouter } from "./routers/support";
import { usageRouter } from "./routers/usage";

export const appRouter = router({
  session: sessionRouter,
  usage: usageRouter,
  plans: plansRouter,
  keys: keysRouter,
  notices: noticesRouter,
  billing: billingRouter,
  support: supportRouter,
  operator: operatorRouter,
});

export type AppRouter = typeof appRouter;
