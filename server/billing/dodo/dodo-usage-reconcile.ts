import { accountRowById } from "../../db/queries/accounts";
import { inTransaction } from "../../db/queries/plan-changes";
import { dueUsageReports, reportedByMinuteInTx } from "../../db/queries/stripe";
import { DomainError } from "../../lib/domain-error";
import type { BillingContext } from "../billing-context";
import type { DodoBillingProvider } from "./dodo-provider";

/** One Dodo meter of an account's current billing period: what Dodo counted against what Headroom queued for it. */
export interface DodoUsageLine {
  meterId: string;
  eventName: string;
  /** Units Dodo reports for the period (retrieveUsageHistory's consumed_units). */
  dodoUnits: number;
  /** Units Headroom's outbox holds for the period and event name (sent, pending, or refused). */
  headroomUnits: number;
  /** Of those, still waiting to be sent: they explain a shortfall at Dodo for now. */
  pendingUnits: number;
  /** dodoUnits − headroomUnits: 0 when the two agree. */
  differenceUnits: number;
}

/**
 * Reconciles the totals Dodo reports for an account's current billing period (its usage history per
 * meter) with the usage events Headroom's outbox queued from its rollups for the same event names
 * and period. A difference means events were lost, refused, or counted twice; the pending units say
 * how much of it is still on its way.
 * https://docs.dodopayments.com/api-reference/subscriptions/get-usage-history
 */
export async function reconcileDodoUsage(ctx: Pick<BillingContext, "db">, provider: DodoBillingProvider, accountId: string): Promise<{ periodStartMs: number; periodEndMs: number; meters: DodoUsageLine[] }> {
  const account = await accountRowById(ctx.db, accountId);
  if (!account?.stripeSubscriptionId) throw new DomainError("NOT_FOUND", `${accountId} is not billed through a Dodo subscription.`);
  const subscriptionId = account.stripeSubscriptionId;
  const sub = await provider.subscription(subscriptionId);
  const periodStartMs = Date.parse(sub.previous_billing_date);
  const periodEndMs = Date.parse(sub.next_billing_date);
  const history = await provider.read(async () => {
    for await (const period of provider.dodo.subscriptions.retrieveUsageHistory(subscriptionId, { start_date: sub.previous_billing_date })) {
      if (Date.parse(period.start_date) === periodStartMs) return period;
    }
    return null;
  });
  const meters: DodoUsageLine[] = [];
  for (const m of history?.meters ?? []) {
    const meter = await provider.read(() => provider.dodo.meters.retrieve(m.id));
    const queued = await inTransaction(ctx.db, () => reportedByMinuteInTx(accountId, meter.event_name, periodStartMs, periodEndMs));
    const headroomUnits = [...queued.values()].reduce((s, r) => s + r.sum, 0);
    const pendingUnits = await pendingUnitsOf(ctx, accountId, meter.event_name, periodStartMs, periodEndMs);
    const dodoUnits = Number(m.consumed_units);
    meters.push({ meterId: m.id, eventName: meter.event_name, dodoUnits, headroomUnits, pendingUnits, differenceUnits: dodoUnits - headroomUnits });
  }
  return { periodStartMs, periodEndMs, meters };
}

async function pendingUnitsOf(ctx: Pick<BillingContext, "db">, accountId: string, eventName: string, fromMs: number, toMs: number): Promise<number> {
  // Pending reports of any due date: far in the future covers those backing off.
  const pending = await dueUsageReports(ctx.db, Number.MAX_SAFE_INTEGER, 100_000);
  return pending.filter((r) => r.accountId === accountId && r.eventName === eventName && r.minuteMs >= fromMs && r.minuteMs < toMs).reduce((s, r) => s + r.value, 0);
}
