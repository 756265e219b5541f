import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { PLAN_CHANGE_STATUSES } from "../../schema/billing";
import { accounts } from "./accounts";

/** The same lists in both dialects: see `server/db/schema/billing.ts`. */
export { OPEN_PLAN_CHANGE_STATUSES, PLAN_CHANGE_STATUSES, type PlanChangeStatus } from "../../schema/billing";

/** PostgreSQL twin of `server/db/schema/billing.ts`; amounts in minor units are bigint, as SQLite's integer is 64-bit. */
export const quotes = pgTable(
  "quotes",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    kind: text("kind", { enum: ["plan_change", "overage_opt_in", "overage_opt_out"] }).notNull(),
    fromPlanId: text("from_plan_id").notNull(),
    toPlanId: text("to_plan_id").notNull(),
    toPlanVersion: integer("to_plan_version").notNull().default(1),
    fromInterval: text("from_interval", { enum: ["month", "year"] }).notNull().default("month"),
    toInterval: text("to_interval", { enum: ["month", "year"] }).notNull().default("month"),
    timing: text("timing", { enum: ["now", "period_end"] }).notNull(),
    prorationAtMs: bigint("proration_at_ms", { mode: "number" }).notNull(),
    periodStartMs: bigint("period_start_ms", { mode: "number" }).notNull(),
    periodEndMs: bigint("period_end_ms", { mode: "number" }).notNull(),
    creditMinor: bigint("credit_minor", { mode: "number" }).notNull(),
    chargeMinor: bigint("charge_minor", { mode: "number" }).notNull(),
    amountDueNowMinor: bigint("amount_due_now_minor", { mode: "number" }).notNull(),
    recurringMinor: bigint("recurring_minor", { mode: "number" }).notNull(),
    recurringFromMs: bigint("recurring_from_ms", { mode: "number" }).notNull(),
    effectiveAtMs: bigint("effective_at_ms", { mode: "number" }).notNull(),
    projectedMonthlyMinor: bigint("projected_monthly_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    consentText: text("consent_text").notNull(),
    overageConsentText: text("overage_consent_text"),
    expectedOverageMinor: bigint("expected_overage_minor", { mode: "number" }).notNull().default(0),
    estimatedMonthlyMinor: bigint("estimated_monthly_minor", { mode: "number" }).notNull().default(0),
    linesJson: text("lines_json").notNull(),
    accountFingerprint: text("account_fingerprint").notNull(),
    catalogFingerprint: text("catalog_fingerprint").notNull(),
    endsGrandfathering: boolean("ends_grandfathering").notNull().default(false),
    pricedBy: text("priced_by", { enum: ["local", "stripe"] }).notNull().default("local"),
    stripeSubscriptionId: text("stripe_subscription_id"),
    stripeItemsJson: text("stripe_items_json"),
    stripeProrationBehavior: text("stripe_proration_behavior"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    expiresAtMs: bigint("expires_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("quotes_account_idx").on(t.accountId, t.createdAtMs)],
);

export const consents = pgTable(
  "consents",
  {
    id: text("id").primaryKey(),
    quoteId: text("quote_id")
      .notNull()
      .unique()
      .references(() => quotes.id),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    signedInAs: text("signed_in_as").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    textShown: text("text_shown").notNull(),
    overageOptIn: boolean("overage_opt_in").notNull().default(false),
    amountDueNowMinor: bigint("amount_due_now_minor", { mode: "number" }).notNull(),
    recurringMinor: bigint("recurring_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("consents_account_idx").on(t.accountId, t.createdAtMs)],
);

export const planChanges = pgTable(
  "plan_changes",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    quoteId: text("quote_id")
      .notNull()
      .unique()
      .references(() => quotes.id),
    consentId: text("consent_id")
      .notNull()
      .unique()
      .references(() => consents.id),
    kind: text("kind", { enum: ["plan_change", "overage_opt_in", "overage_opt_out"] }).notNull(),
    fromPlanId: text("from_plan_id").notNull(),
    toPlanId: text("to_plan_id").notNull(),
    status: text("status", { enum: PLAN_CHANGE_STATUSES }).notNull(),
    effectiveAtMs: bigint("effective_at_ms", { mode: "number" }).notNull(),
    appliedAtMs: bigint("applied_at_ms", { mode: "number" }),
    invoiceId: text("invoice_id"),
    idempotencyKey: text("idempotency_key").unique(),
    providerSentAtMs: bigint("provider_sent_at_ms", { mode: "number" }),
    providerRef: text("provider_ref"),
    checkoutUrl: text("checkout_url"),
    failureMessage: text("failure_message"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    updatedAtMs: bigint("updated_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [
    index("plan_changes_account_idx").on(t.accountId, t.createdAtMs),
    index("plan_changes_due_idx").on(t.status, t.effectiveAtMs),
    uniqueIndex("plan_changes_one_open_idx")
      .on(t.accountId)
      .where(sql`${t.kind} = 'plan_change' and ${t.status} in ('scheduled', 'pending_approval', 'applying', 'payment_required', 'payment_pending')`),
  ],
);

export const invoices = pgTable(
  "invoices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    number: text("number").notNull().unique(),
    kind: text("kind", { enum: ["proration", "period", "credit_note"] }).notNull(),
    periodStartMs: bigint("period_start_ms", { mode: "number" }).notNull(),
    periodEndMs: bigint("period_end_ms", { mode: "number" }).notNull(),
    totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["paid", "open", "void", "queued"] }).notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    stripeInvoiceId: text("stripe_invoice_id").unique(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("invoices_account_idx").on(t.accountId, t.createdAtMs)],
);

export const sequences = pgTable("sequences", {
  name: text("name").primaryKey(),
  value: bigint("value", { mode: "number" }).notNull(),
});

export const invoiceLines = pgTable(
  "invoice_lines",
  {
    id: text("id").primaryKey(),
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    kind: text("kind", { enum: ["plan", "proration_credit", "proration_charge", "overage", "metered", "credit", "balance"] }).notNull(),
    description: text("description").notNull(),
    // Calls billed per 1,000 can pass int4 in a period.
    quantity: bigint("quantity", { mode: "number" }).notNull().default(1),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    periodStartMs: bigint("period_start_ms", { mode: "number" }),
    periodEndMs: bigint("period_end_ms", { mode: "number" }),
  },
  (t) => [index("invoice_lines_invoice_idx").on(t.invoiceId)],
);

export const approvalRequests = pgTable(
  "approval_requests",
  {
    id: text("id").primaryKey(),
    planChangeId: text("plan_change_id")
      .notNull()
      .unique()
      .references(() => planChanges.id),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    projectedMonthlyMinor: bigint("projected_monthly_minor", { mode: "number" }).notNull(),
    billingCapMinor: bigint("billing_cap_minor", { mode: "number" }).notNull(),
    status: text("status", { enum: ["pending", "approved", "denied", "withdrawn"] }).notNull(),
    reason: text("reason"),
    decidedBy: text("decided_by"),
    decidedAtMs: bigint("decided_at_ms", { mode: "number" }),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("approval_requests_status_idx").on(t.status, t.createdAtMs)],
);

export const anomalies = pgTable(
  "anomalies",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    invoiceId: text("invoice_id")
      .notNull()
      .unique()
      .references(() => invoices.id),
    previousTotalMinor: bigint("previous_total_minor", { mode: "number" }).notNull(),
    totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    acknowledgedAtMs: bigint("acknowledged_at_ms", { mode: "number" }),
    acknowledgedBy: text("acknowledged_by"),
  },
  (t) => [check("anomalies_ratio", sql`${t.totalMinor} > 2 * ${t.previousTotalMinor}`)],
);

export const stripeEvents = pgTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  createdMs: bigint("created_ms", { mode: "number" }).notNull(),
  processedAtMs: bigint("processed_at_ms", { mode: "number" }).notNull(),
});

export const stripeUsageReports = pgTable(
  "stripe_usage_reports",
  {
    identifier: text("identifier").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    eventName: text("event_name").notNull(),
    minuteMs: bigint("minute_ms", { mode: "number" }).notNull(),
    seq: integer("seq").notNull(),
    value: bigint("value", { mode: "number" }).notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAtMs: bigint("next_attempt_at_ms", { mode: "number" }).notNull(),
    lastError: text("last_error"),
    sentAtMs: bigint("sent_at_ms", { mode: "number" }),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("stripe_usage_reports_due_idx").on(t.status, t.nextAttemptAtMs), index("stripe_usage_reports_minute_idx").on(t.accountId, t.eventName, t.minuteMs)],
);
