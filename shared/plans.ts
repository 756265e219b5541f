/**
 * The plan catalog. One source for the server (metering, billing) and the portal (pricing page).
 * Prices are integer minor units of `currency`; caps are calls per window, absent = unlimited.
 */
export const WINDOWS = ["minute", "day", "month"] as const;
export type WindowName = (typeof WINDOWS)[number];

export const ENFORCEMENT_MODES = ["off", "shadow", "enforce"] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

export const PLAN_IDS = ["free", "starter", "pro", "business", "enterprise"] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export type Caps = Partial<Record<WindowName, number>>;

export interface Plan {
  id: PlanId;
  name: string;
  /** One line for the pricing page. */
  summary: string;
  /** Monthly base price, minor units of `currency`. */
  priceMinor: number;
  currency: string;
  /** Calls per window; a window that is absent is unlimited. */
  caps: Caps;
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

const DEFAULT_THRESHOLDS = [0.8, 1];

export const PLANS: Record<PlanId, Plan> = {
  free: {
    id: "free",
    name: "Free",
    summary: "To try the API. No card needed.",
    priceMinor: 0,
    currency: "USD",
    caps: { month: 1_000 },
    metered: false,
    public: true,
    enforcement: "enforce",
    thresholds: DEFAULT_THRESHOLDS,
  },
  starter: {
    id: "starter",
    name: "Starter",
    summary: "For a small app with steady traffic.",
    priceMinor: 2_900,
    currency: "USD",
    caps: { minute: 60, day: 1_000 },
    metered: false,
    public: true,
    enforcement: "shadow",
    thresholds: DEFAULT_THRESHOLDS,
  },
  pro: {
    id: "pro",
    name: "Pro",
    summary: "Bursty traffic without a daily cap; pay for what you use beyond the monthly quota.",
    priceMinor: 4_900,
    currency: "USD",
    caps: { minute: 600, month: 10_000 },
    overagePer1000Minor: 300,
    metered: false,
    public: true,
    enforcement: "shadow",
    thresholds: DEFAULT_THRESHOLDS,
  },
  business: {
    id: "business",
    name: "Business",
    summary: "For production workloads of a few hundred calls a minute.",
    priceMinor: 19_900,
    currency: "USD",
    caps: { minute: 300, day: 5_000 },
    metered: false,
    public: true,
    enforcement: "shadow",
    thresholds: DEFAULT_THRESHOLDS,
  },
  enterprise: {
    id: "enterprise",
    name: "Enterprise",
    summary: "No caps. A base fee plus every call metered; invoiced monthly.",
    priceMinor: 99_000,
    currency: "USD",
    caps: {},
    overagePer1000Minor: 50,
    metered: true,
    public: true,
    enforcement: "off",
    thresholds: DEFAULT_THRESHOLDS,
  },
};

export const PLAN_LIST: Plan[] = PLAN_IDS.map((id) => PLANS[id]);

export function isPlanId(value: string): value is PlanId {
  return (PLAN_IDS as readonly string[]).includes(value);
}

export function getPlan(id: PlanId): Plan {
  return PLANS[id];
}

export const WINDOW_LABELS: Record<WindowName, { noun: string; per: string; seconds: number | null }> = {
  minute: { noun: "minute", per: "per minute", seconds: 60 },
  day: { noun: "day", per: "per day (UTC)", seconds: 86_400 },
  month: { noun: "billing month", per: "per billing month", seconds: null },
};
