/**
 * What a plan is once the catalog file is read (`shared/catalog.ts` parses it): the shape the server
 * (metering, billing) and the portal (pricing page) work with. Prices are integer minor units of
 * `currency`; caps are calls per window, absent = unlimited.
 */
export const WINDOWS = ["minute", "day", "month"] as const;
export type WindowName = (typeof WINDOWS)[number];

export const ENFORCEMENT_MODES = ["off", "shadow", "enforce"] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

/** Plan ids are chosen by the provider in the catalog file (see `shared/catalog.ts`). */
export type PlanId = string;

export type Caps = Partial<Record<WindowName, number>>;

/** Billing intervals a plan can be priced in. */
export const INTERVALS = ["month", "year"] as const;
export type BillingInterval = (typeof INTERVALS)[number];

/** A plan's terms for one meter: its caps and how use beyond them (or all use) is billed. */
export interface MeterTerms {
  /** Units per window; a window that is absent is unlimited. */
  caps: Caps;
  /** Price per 1,000 units beyond the month cap (overage) or of all use (metered), minor units. */
  overagePer1000Minor?: number;
  /** Every unit is billed at `overagePer1000Minor`; there is no cap to go over. */
  metered: boolean;
}

export interface Plan {
  id: PlanId;
  /** The version of the plan's terms (prices, caps) this is: the catalog's current one, or an older one an account keeps. */
  version: number;
  name: string;
  /** One line for the pricing page. */
  summary: string;
  /** Monthly base price, minor units of `currency`. */
  priceMinor: number;
  /** Base price per interval the plan is sold in (at least one), minor units of `currency`. */
  prices: Partial<Record<BillingInterval, number>>;
  /** On the yearly price: the `month` caps start over each month (`monthly`) or allow twelve months' worth for the year (`yearly`). */
  yearlyQuota: "monthly" | "yearly";
  currency: string;
  /** The default meter's caps (the catalog's first meter): calls per window; a window that is absent is unlimited. */
  caps: Caps;
  /** Every meter's terms on this plan, by meter id (the default meter's are also `caps`, `overagePer1000Minor`, `metered`). */
  meters: Record<string, MeterTerms>;
  /**
   * Price per 1,000 calls beyond the monthly cap (overage plans) or per 1,000 calls of all usage
   * (metered plans), minor units. Absent = calls over the cap are not billed.
   */
  overagePer1000Minor?: number;
  /** Metered plans bill every call at `overagePer1000Minor`; there is no cap to go over. */
  metered: boolean;
  /** Shown on the pricing page and offered in the plan-change wizard. */
  public: boolean;
  /** Default enforcement for accounts on this plan (an account can override it). */
  enforcement: EnforcementMode;
  /** Fractions of a cap at which customers are warned, ascending; 1 = reached. */
  thresholds: number[];
}

export const WINDOW_LABELS: Record<WindowName, { noun: string; per: string; seconds: number | null }> = {
  minute: { noun: "minute", per: "per minute", seconds: 60 },
  day: { noun: "day", per: "per day (UTC)", seconds: 86_400 },
  month: { noun: "billing month", per: "per billing month", seconds: null },
};
