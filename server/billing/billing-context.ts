import type { Catalog } from "../../shared/catalog";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/logger";
import type { NotifyContext } from "../notify/notices";
import type { PlanAdvisor } from "../plans/plan-advisor";
import type { BillingProvider } from "./billing-provider";

/** What the billing verbs need, built once in main. */
export interface BillingContext {
  db: Store;
  /** The plans and prices changes are quoted and billed on. */
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  provider: BillingProvider;
  notify: NotifyContext;
  /** The one recommendation: quotes show the Plans page's estimate for the plan they price. */
  advisor: Pick<PlanAdvisor, "compare" | "verdictOn">;
  /** Above this projected monthly total a confirmation waits for an operator (minor units). */
  billingCapMinor: number;
  /** The meter must apply new caps (and maybe a new period) from the next call. */
  onPlanChanged: (accountId: string) => void;
}
