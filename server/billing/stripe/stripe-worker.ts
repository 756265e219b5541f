import { inTransaction } from "../../db/queries/plan-changes";
import { applyingChanges, askConsentAgain, overdueScheduledSwitches } from "../../db/queries/stripe";
import type { BillingContext } from "../billing-context";
import { settlePlanChange } from "../plan-change";
import { ProviderWorker } from "../provider-worker";
import type { StripeBillingProvider } from "./stripe-provider";
import { reconcileSubscriptionIn } from "./stripe-sync";
import type { StripeUsageReporter } from "./stripe-usage";

/**
 * Finishes plan changes left "applying" (a crash or an outage between the consent and Stripe's
 * answer): each is sent again with its stored idempotency key, so Stripe replays its first answer
 * and that is committed. A change never sent whose preview has expired is not charged: the
 * customer is asked to confirm again.
 */
export async function resumeApplyingChanges(ctx: BillingContext): Promise<{ resumed: number; expired: number }> {
  const now = ctx.clock.now();
  const rows = await applyingChanges(ctx.db);
  let resumed = 0;
  let expired = 0;
  for (const { change, quote } of rows) {
    if (change.providerSentAtMs === null && now >= quote.expiresAtMs) {
      const moved = await askConsentAgain(ctx.db, change.id, "Your confirmation could not be completed before the price preview expired. Nothing was charged and your plan is unchanged; please preview the change again.", now);
      if (moved) expired++;
      continue;
    }
    try {
      await settlePlanChange(ctx, change.id, true);
      resumed++;
    } catch (err) {
      ctx.logger.warn({ err: err instanceof Error ? err.message : String(err), planChangeId: change.id }, "plan change still applying; retried on the next run");
    }
  }
  return { resumed, expired };
}

/** Downgrades scheduled at Stripe whose date has passed without a webhook: the subscription is re-read and followed. */
export async function reconcileOverdueSchedules(ctx: BillingContext, provider: StripeBillingProvider, graceMs = 3_600_000): Promise<number> {
  const now = ctx.clock.now();
  const due = await overdueScheduledSwitches(ctx.db, now - graceMs);
  let n = 0;
  for (const row of due) {
    const sub = await provider.call(() => provider.stripe.subscriptions.retrieve(row.subscriptionId));
    const after = await inTransaction(ctx.db, () => reconcileSubscriptionIn(ctx, sub));
    for (const f of after) await f();
    n++;
  }
  return n;
}

/** The Stripe provider's background work, every interval: unfinished changes, overdue schedules, meter events. */
export class StripeWorker extends ProviderWorker {
  constructor(ctx: BillingContext, provider: StripeBillingProvider, usage: StripeUsageReporter, intervalMs?: number) {
    super(
      ctx.logger,
      "stripe",
      [
        ["resume applying changes", () => resumeApplyingChanges(ctx)],
        ["reconcile overdue schedules", () => reconcileOverdueSchedules(ctx, provider)],
        ["queue usage", () => usage.enqueue()],
        ["send usage", () => usage.send()],
      ],
      intervalMs,
    );
  }
}
