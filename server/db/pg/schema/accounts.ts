import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgTable, text } from "drizzle-orm/pg-core";

/** PostgreSQL twin of `server/db/schema/accounts.ts`: the column comments live there. */
export const accounts = pgTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull().unique(),
    planId: text("plan_id").notNull(),
    planVersion: integer("plan_version").notNull().default(1),
    currency: text("currency").notNull().default("USD"),
    billingAnchorMs: bigint("billing_anchor_ms", { mode: "number" }).notNull(),
    billingInterval: text("billing_interval", { enum: ["month", "year"] }).notNull().default("month"),
    planStartedAtMs: bigint("plan_started_at_ms", { mode: "number" }),
    enforcementOverride: text("enforcement_override", { enum: ["off", "shadow", "enforce"] }),
    capOverridesJson: text("cap_overrides_json"),
    grandfatheredUntilMs: bigint("grandfathered_until_ms", { mode: "number" }),
    overageOptIn: boolean("overage_opt_in").notNull().default(false),
    stripeCustomerId: text("stripe_customer_id").unique(),
    stripeSubscriptionId: text("stripe_subscription_id"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("accounts_plan_idx").on(t.planId), check("accounts_email_lower", sql`${t.email} = lower(${t.email})`)],
);

export type AccountRow = typeof accounts.$inferSelect;
