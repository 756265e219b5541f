import type { Catalog } from "../shared/catalog";
import type { Config } from "./config";
import type { Store } from "./db/queries/store";
import type { ChangeFeed } from "./lib/change-feed";
import type { Clock } from "./lib/clock";
import type { Logger } from "./lib/logger";
import type { Metrics } from "./lib/metrics";
import type { Meter } from "./metering/meter";
import type { Detector } from "./detection/detect";
import type { DeliveryWorker } from "./notify/delivery-worker";
import type { NotifyContext } from "./notify/notices";
import type { PlanAdvisor } from "./plans/plan-advisor";
import type { BillingContext } from "./billing/billing-context";
import type { StripeBilling } from "./billing/stripe/stripe-billing";
import type { DodoBilling } from "./billing/dodo/dodo-billing";

/** Everything the transports need, built once in main and passed down. */
export interface Deps {
  config: Config;
  /** The provider's plans and meters, read from CATALOG_PATH at start. */
  catalog: Catalog;
  /** The storage boundary's handle: passed to domain verbs, read and written only by server/db/queries. */
  db: Store;
  clock: Clock;
  logger: Logger;
  /** Bearer token the provider's backend uses for /v1. */
  serverToken: string;
  /** Absolute base URL for links ("http://localhost:3000"); set once the port is known. */
  baseUrl: () => string;
  /** Synchronous with the memory counter store, answering with promises with the Redis one. */
  meter: Meter<boolean>;
  /** What changed (keys, terms, plans, modes, flushed usage): verbs publish, the parts that keep state subscribe. */
  feed: ChangeFeed;
  metrics: Metrics;
  detector: Detector;
  notify: NotifyContext;
  delivery: DeliveryWorker;
  /** The one recommendation: which plan fits each account, at what estimated monthly cost. */
  advisor: PlanAdvisor;
  billing: BillingContext;
  /** The Stripe provider, its meter-event reporter and background worker (null without STRIPE_SECRET_KEY). */
  stripe: StripeBilling | null;
  /** The Dodo Payments provider, its usage reporter and background worker (null without DODO_PAYMENTS_API_KEY). */
  dodo: DodoBilling | null;
  /** Directory of the built SPA. */
  clientDir: string;
}
