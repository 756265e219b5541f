import { priceIn } from "../../../shared/billing-interval";
import { currentPeriod, getAccount } from "../../accounts/accounts";
import { getUsageHistory } from "../../metering/usage-history";
import { getUsageOverview } from "../../metering/usage-summary";
import { customerProcedure, router } from "../trpc";

export const usageRouter = router({
  /** The signed-in customer's plan, caps and where they stand in each window, on each meter (`meters`, the default first). */
  overview: customerProcedure.query(async ({ ctx }) => {
    const { db, clock } = ctx.deps;
    const account = await getAccount(db, ctx.deps.catalog, ctx.accountId);
    const now = clock.now();
    const overview = await getUsageOverview(db, ctx.deps.meter, account, now);
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
      // How the account is billed: its interval, the plan's price in it, and the billing period (a year
      // for an account billed yearly; `period` below is the month caps' window, which can be a month of it).
      billing: {
        interval: account.billingInterval,
        priceMinor: priceIn(account.plan, account.billingInterval) ?? account.plan.priceMinor,
        period: (({ startMs, endMs }) => ({ startMs, endMs }))(currentPeriod(account, now)),
      },
      ...overview,
    };
  }),
  /** The last 60 minutes per minute and the last 30 UTC days per day, with the caps for the charts' cap lines, on each meter (`meters`). */
  history: customerProcedure.query(async ({ ctx }) => {
    const { db, clock } = ctx.deps;
    const nowMs = clock.now();
    // The grace period goes with the history so the portal says what enforcement will actually do.
    // With the demo on, the portal can point a new customer at the metered demo API for a first call.
    return { nowMs, graceHours: ctx.deps.config.ENFORCEMENT_GRACE_HOURS, demoApi: ctx.deps.config.HEADROOM_DEMO, ...(await getUsageHistory(db, await getAccount(db, ctx.deps.catalog, ctx.accountId), nowMs, ctx.deps.meter.meters.all)) };
  }),
});
