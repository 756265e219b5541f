import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";

/**
 * A priced offer shown to the customer before any change: every amount in minor units of
 * `currency`, valid for 15 minutes. Confirming binds a consent to exactly this row.
 */
export const quotes = sqliteTable(
  "quotes",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    kind: text("kind", { enum: ["plan_change", "overage_opt_in", "overage_opt_out"] }).notNull(),
    fromPlanId: text("from_plan_id").notNull(),
    toPlanId: text("to_plan_id").notNull(),
    /** now: applied at confirmation (upgrades); period_end: scheduled (downgrades). */
    timing: text("timing", { enum: ["now", "period_end"] }).notNull(),
    /** Stripe's proration_date: the second the amounts were computed for, unix ms. */
    prorationAtMs: integer("proration_at_ms").notNull(),
    periodStartMs: integer("period_start_ms").notNull(),
    periodEndMs: integer("period_end_ms").notNull(),
    creditMinor: integer("credit_minor").notNull(),
    chargeMinor: integer("charge_minor").notNull(),
    amountDueNowMinor: integer("amount_due_now_minor").notNull(),
    recurringMinor: integer("recurring_minor").notNull(),
    /** When the new recurring amount is first charged, unix ms. */
    recurringFromMs: integer("recurring_from_ms").notNull(),
    /** When the new caps apply, unix ms. */
    effectiveAtMs: integer("effective_at_ms").notNull(),
    /** Plan price plus projected metered usage per month at the new terms, for the billing cap. */
    projectedMonthlyMinor: integer("projected_monthly_minor").notNull(),
    currency: text("currency").notNull(),
    /** The exact words of the authorisation the customer is asked to agree to. */
    consentText: text("consent_text").notNull(),
    /** Lines of the invoice this quote would create (JSON). */
    linesJson: text("lines_json").notNull(),
    /** The account's terms when quoted (plan, period, grandfathering, overage); a change voids the quote. */
    accountFingerprint: text("account_fingerprint").notNull(),
    /** The catalog's prices when quoted; a price change voids the quote. */
    catalogFingerprint: text("catalog_fingerprint").notNull(),
    endsGrandfathering: integer("ends_grandfathering", { mode: "boolean" }).notNull().default(false),
    createdAtMs: integer("created_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
  },
  (t) => [index("quotes_account_idx").on(t.accountId, t.createdAtMs)],
);

/** What the customer agreed to, who, when and from where: one per quote, never without a quote. */
export const consents = sqliteTable(
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
    /** The signed-in person (the account's e-mail for customer sessions). */
    signedInAs: text("signed_in_as").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    textShown: text("text_shown").notNull(),
    amountDueNowMinor: integer("amount_due_now_minor").notNull(),
    recurringMinor: integer("recurring_minor").notNull(),
    currency: text("currency").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("consents_account_idx").on(t.accountId, t.createdAtMs)],
);

/** A plan change exists only with a consent and its quote (NOT NULL, UNIQUE): no change without consent. */
export const planChanges = sqliteTable(
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
    /** applied | scheduled (downgrade at period end) | cancelled | pending_approval | denied | needs_consent */
    status: text("status", { enum: ["applied", "scheduled", "cancelled", "pending_approval", "denied", "needs_consent"] }).notNull(),
    effectiveAtMs: integer("effective_at_ms").notNull(),
    appliedAtMs: integer("applied_at_ms"),
    invoiceId: text("invoice_id"),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [index("plan_changes_account_idx").on(t.accountId, t.createdAtMs), index("plan_changes_due_idx").on(t.status, t.effectiveAtMs)],
);

export const invoices = sqliteTable(
  "invoices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    /** HR-000123 */
    number: text("number").notNull().unique(),
    /** proration: charged at an upgrade; period: issued at a period boundary; credit_note: a refund. */
    kind: text("kind", { enum: ["proration", "period", "credit_note"] }).notNull(),
    periodStartMs: integer("period_start_ms").notNull(),
    periodEndMs: integer("period_end_ms").notNull(),
    totalMinor: integer("total_minor").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["paid", "open", "void", "queued"] }).notNull(),
    /** One period invoice per account and period. */
    dedupeKey: text("dedupe_key").notNull().unique(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("invoices_account_idx").on(t.accountId, t.createdAtMs)],
);

export const invoiceLines = sqliteTable(
  "invoice_lines",
  {
    id: text("id").primaryKey(),
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    kind: text("kind", { enum: ["plan", "proration_credit", "proration_charge", "overage", "metered", "credit"] }).notNull(),
    description: text("description").notNull(),
    quantity: integer("quantity").notNull().default(1),
    amountMinor: integer("amount_minor").notNull(),
    periodStartMs: integer("period_start_ms"),
    periodEndMs: integer("period_end_ms"),
  },
  (t) => [index("invoice_lines_invoice_idx").on(t.invoiceId)],
);

/** Confirmations over the billing cap wait here for an operator. */
export const approvalRequests = sqliteTable(
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
    projectedMonthlyMinor: integer("projected_monthly_minor").notNull(),
    billingCapMinor: integer("billing_cap_minor").notNull(),
    status: text("status", { enum: ["pending", "approved", "denied"] }).notNull(),
    reason: text("reason"),
    decidedBy: text("decided_by"),
    decidedAtMs: integer("decided_at_ms"),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("approval_requests_status_idx").on(t.status, t.createdAtMs)],
);

/** A closing invoice more than 2× the previous period's. */
export const anomalies = sqliteTable(
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
    previousTotalMinor: integer("previous_total_minor").notNull(),
    totalMinor: integer("total_minor").notNull(),
    currency: text("currency").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    acknowledgedAtMs: integer("acknowledged_at_ms"),
    acknowledgedBy: text("acknowledged_by"),
  },
  (t) => [check("anomalies_ratio", sql`${t.totalMinor} > 2 * ${t.previousTotalMinor}`)],
);
