import type { Catalog } from "../../../shared/catalog";
import type { Config } from "../../config";
import { changesInFlight } from "../../db/queries/stripe";
import type { BillingContext } from "../billing-context";
import { createStripeClient, type RetryPolicy } from "./stripe-client";
import { StripeBillingProvider } from "./stripe-provider";
import { StripeUsageReporter, type UsageBacklog, type UsageReporterOptions } from "./stripe-usage";
import { StripeWorker } from "./stripe-worker";

/** Knobs tests turn (short timeouts, fast retries); production uses the defaults. */
export interface StripeRuntimeOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
  workerIntervalMs?: number;
  usage?: UsageReporterOptions;
}

/** Everything the Stripe provider runs with, built once in main when STRIPE_SECRET_KEY is set. */
export interface StripeBilling {
  provider: StripeBillingProvider;
  usage: StripeUsageReporter;
  worker: StripeWorker;
  /** STRIPE_WEBHOOK_SECRET; without it POST /webhooks/stripe answers 404. */
  webhookSecret: string | null;
  /** For operators: what is still on its way to Stripe. */
  status(): Promise<StripeStatus>;
}

export interface StripeStatus {
  enabled: true;
  webhooksConfigured: boolean;
  /** Meter events not sent yet (pending, retrying) and refused ones. */
  usageBacklog: UsageBacklog;
  /** Plan changes consented to and still with Stripe: in flight, waiting for a payment or a Checkout. */
  changesInFlight: { applying: number; paymentPending: number; paymentRequired: number };
}

/** The provider alone (the billing context needs it before the rest exists); null without STRIPE_SECRET_KEY. */
export function createStripeProvider(config: Config, catalog: Catalog, baseUrl: () => string, opts: StripeRuntimeOptions = {}): StripeBillingProvider | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  const client = createStripeClient(config.STRIPE_SECRET_KEY, { apiBase: config.STRIPE_API_BASE, timeoutMs: opts.timeoutMs });
  return new StripeBillingProvider(client, { retry: opts.retry, baseUrl, catalog });
}

export function createStripeBilling(ctx: BillingContext, provider: StripeBillingProvider, config: Config, opts: StripeRuntimeOptions = {}): StripeBilling {
  const usage = new StripeUsageReporter(ctx, provider, opts.usage);
  const webhookSecret = config.STRIPE_WEBHOOK_SECRET ?? null;
  return {
    provider,
    usage,
    worker: new StripeWorker(ctx, provider, usage, opts.workerIntervalMs),
    webhookSecret,
    status: async () => ({
      enabled: true,
      webhooksConfigured: webhookSecret !== null,
      usageBacklog: await usage.backlog(),
      changesInFlight: await changesInFlight(ctx.db),
    }),
  };
}
