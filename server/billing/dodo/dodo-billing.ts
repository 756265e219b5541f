import type { Catalog } from "../../../shared/catalog";
import type { Config } from "../../config";
import { accountRowById } from "../../db/queries/accounts";
import { inTransaction } from "../../db/queries/plan-changes";
import { changesInFlight, overdueScheduledSwitches } from "../../db/queries/stripe";
import type { BillingContext } from "../billing-context";
import { ProviderWorker } from "../provider-worker";
import { resumeApplyingChanges } from "../stripe/stripe-worker";
import type { UsageBacklog } from "../stripe/stripe-usage";
import { createDodoClient } from "./dodo-client";
import { DodoBillingProvider } from "./dodo-provider";
import { reconcileDodoSubscriptionIn, termsOfProduct } from "./dodo-sync";
import { DodoUsageReporter, type DodoUsageOptions } from "./dodo-usage";
import { reconcileDodoUsage, type DodoUsageLine } from "./dodo-usage-reconcile";

/** Knobs tests turn (short timeouts, fast retries); production uses the defaults. */
export interface DodoRuntimeOptions {
  timeoutMs?: number;
  /** The SDK's retries for reads and usage events (a plan change never retries by itself). */
  maxRetries?: number;
  workerIntervalMs?: number;
  usage?: DodoUsageOptions;
}

/** Everything the Dodo provider runs with, built once in main when DODO_PAYMENTS_API_KEY is set. */
export interface DodoBilling {
  provider: DodoBillingProvider;
  usage: DodoUsageReporter;
  worker: DodoWorker;
  /** DODO_PAYMENTS_WEBHOOK_KEY; without it POST /webhooks/dodo answers 404. */
  webhookKey: string | null;
  status(): Promise<DodoStatus>;
  /** For operators: Dodo's usage totals of an account's current period against what Headroom queued for it. */
  usageReconciliation(accountId: string): Promise<{ periodStartMs: number; periodEndMs: number; meters: DodoUsageLine[] }>;
  /** For the customer: a session in Dodo's customer portal (payment methods, invoices); null before Dodo knows the customer. */
  paymentPortal(accountId: string): Promise<{ url: string } | null>;
}

export interface DodoStatus {
  enabled: true;
  webhooksConfigured: boolean;
  usageBacklog: UsageBacklog;
  changesInFlight: { applying: number; paymentPending: number; paymentRequired: number };
}

/** The provider alone (the billing context needs it before the rest exists); null without DODO_PAYMENTS_API_KEY. */
export function createDodoProvider(config: Config, catalog: Catalog, baseUrl: () => string, opts: DodoRuntimeOptions = {}): DodoBillingProvider | null {
  if (!config.DODO_PAYMENTS_API_KEY) return null;
  const client = createDodoClient(config, { timeoutMs: opts.timeoutMs, maxRetries: opts.maxRetries });
  return new DodoBillingProvider(client, { catalog, baseUrl, prorationMode: config.DODO_PAYMENTS_PRORATION, changeTimeoutMs: opts.timeoutMs });
}

export function createDodoBilling(ctx: BillingContext, provider: DodoBillingProvider, config: Config, opts: DodoRuntimeOptions = {}): DodoBilling {
  const usage = new DodoUsageReporter(ctx, provider, opts.usage);
  const webhookKey = config.DODO_PAYMENTS_WEBHOOK_KEY ?? null;
  return {
    provider,
    usage,
    worker: new DodoWorker(ctx, provider, usage, opts.workerIntervalMs),
    webhookKey,
    status: async () => ({ enabled: true, webhooksConfigured: webhookKey !== null, usageBacklog: await usage.backlog(), changesInFlight: await changesInFlight(ctx.db) }),
    usageReconciliation: (accountId) => reconcileDodoUsage(ctx, provider, accountId),
    paymentPortal: async (accountId) => {
      const account = await accountRowById(ctx.db, accountId);
      if (!account?.stripeCustomerId) return null;
      // https://docs.dodopayments.com/api-reference/customers/create-customer-portal-session
      return { url: await provider.portalLink(account.stripeCustomerId) };
    },
  };
}

/** Downgrades scheduled at Dodo whose date has passed without a webhook: the subscription is re-read and followed. */
export async function reconcileOverdueDodoSchedules(ctx: BillingContext, provider: DodoBillingProvider, graceMs = 3_600_000): Promise<number> {
  const due = await overdueScheduledSwitches(ctx.db, ctx.clock.now() - graceMs);
  let n = 0;
  for (const row of due) {
    const sub = await provider.subscription(row.subscriptionId);
    const terms = await termsOfProduct(ctx, provider, sub.product_id);
    const after = await inTransaction(ctx.db, () => reconcileDodoSubscriptionIn(ctx, sub, terms));
    for (const f of after) await f();
    n++;
  }
  return n;
}

/**
 * The Dodo provider's background work, every interval: plan changes left "applying" (each re-reads
 * the subscription before anything is sent again), overdue schedules, usage events.
 */
export class DodoWorker extends ProviderWorker {
  constructor(ctx: BillingContext, provider: DodoBillingProvider, usage: DodoUsageReporter, intervalMs?: number) {
    super(
      ctx.logger,
      "dodo",
      [
        ["resume applying changes", () => resumeApplyingChanges(ctx)],
        ["reconcile overdue schedules", () => reconcileOverdueDodoSchedules(ctx, provider)],
        ["queue usage", () => usage.enqueue()],
        ["send usage", () => usage.send()],
      ],
      intervalMs,
    );
  }
}
