import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const accounts = sqliteTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull().unique(),
    planId: text("plan_id").notNull(),
    /** The version of the plan's terms the account is on (plan_versions); it keeps it until it changes plan or takes the current one. */
    planVersion: integer("plan_version").notNull().default(1),
    currency: text("currency").notNull().default("USD"),
    /** Unix ms the first billing period started (the moment of a Free → paid switch); billing periods are whole calendar months (or years) from it. */
    billingAnchorMs: integer("billing_anchor_ms").notNull(),
    /** How often the plan is billed: `month` (periods are calendar months from the anchor) or `year` (twelve of them). */
    billingInterval: text("billing_interval", { enum: ["month", "year"] }).notNull().default("month"),
    /**
     * When the current plan took effect (unix ms); null = since the account was created. A plan's
     * monthly quota counts calls from here within the billing period, as a new subscription item does.
     */
    planStartedAtMs: integer("plan_started_at_ms"),
    /** Overrides the plan's enforcement mode for this account (null = follow the plan). */
    enforcementOverride: text("enforcement_override", { enum: ["off", "shadow", "enforce"] }),
    /** JSON object of per-window caps that replace the plan's for this account (null = plan caps). */
    capOverridesJson: text("cap_overrides_json"),
    /** Current terms kept until then: no plan charge and no enforcement (unix ms; null = not grandfathered). */
    grandfatheredUntilMs: integer("grandfathered_until_ms"),
    /** Calls beyond the monthly quota are billed per 1,000 instead of limited (overage plans, with consent). */
    overageOptIn: integer("overage_opt_in", { mode: "boolean" }).notNull().default(false),
    /** The Stripe customer billed for this account (Stripe provider only; null = not linked). */
    stripeCustomerId: text("stripe_customer_id").unique(),
    /** The account's Stripe subscription, whose base price decides the plan (null = none, e.g. Free). */
    stripeSubscriptionId: text("stripe_subscription_id"),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("accounts_plan_idx").on(t.planId), check("accounts_email_lower", sql`${t.email} = lower(${t.email})`)],
);

export type AccountRow = typeof accounts.$inferSelect;
