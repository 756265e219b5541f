import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
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
    /** The version of the target plan's terms the quote prices (the catalog's current one when quoted). */
    toPlanVersion: integer("to_plan_version").notNull().default(1),
    /** The interval the account is billed in when quoted, and the one the change bills in (an interval change charges now and moves the billing date). */
    fromInterval: text("from_interval", { enum: ["month", "year"] }).notNull().default("month"),
    toInterval: text("to_interval", { enum: ["month", "year"] }).notNull().default("month"),
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
    /**
     * A plan change to a plan that bills calls beyond its monthly quota, for traffic that would go
     * beyond it: the words of the overage opt-in offered with it (its own sentence, its own tick).
     */
    overageConsentText: text("overage_consent_text"),
    /** What calls beyond the quota would cost a month at the customer's rate, with overage billing on (minor units; 0 = none expected). */
    expectedOverageMinor: integer("expected_overage_minor").notNull().default(0),
    /** The target plan's estimated monthly cost at the customer's rate (the Plans page's figure), minor units. */
    estimatedMonthlyMinor: integer("estimated_monthly_minor").notNull().default(0),
    /** Lines of the invoice this quote would create (JSON). */
    linesJson: text("lines_json").notNull(),
    /** The account's terms when quoted (plan, period, grandfathering, overage); a change voids the quote. */
    accountFingerprint: text("account_fingerprint").notNull(),
    /** The catalog's prices when quoted; a price change voids the quote. */
    catalogFingerprint: text("catalog_fingerprint").notNull(),
    endsGrandfathering: integer("ends_grandfathering", { mode: "boolean" }).notNull().default(false),
    /** Who priced it: "local" (Stripe's rule computed here) or "stripe" (amounts from Stripe's invoice preview). */
    pricedBy: text("priced_by", { enum: ["local", "stripe"] }).notNull().default("local"),
    /** Stripe quotes: the subscription and the exact items previewed (JSON), applied unchanged at confirmation. */
    stripeSubscriptionId: text("stripe_subscription_id"),
    stripeItemsJson: text("stripe_items_json"),
    /** Stripe quotes: the proration_behavior previewed (always_invoice for upgrades). */
    stripeProrationBehavior: text("stripe_proration_behavior"),
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
    /** The words the customer agreed to: the quote's consent text, and the overage sentence when that was ticked too. */
    textShown: text("text_shown").notNull(),
    /** The customer also ticked the overage opt-in offered with the change. */
    overageOptIn: integer("overage_opt_in", { mode: "boolean" }).notNull().default(false),
    amountDueNowMinor: integer("amount_due_now_minor").notNull(),
    recurringMinor: integer("recurring_minor").notNull(),
    currency: text("currency").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("consents_account_idx").on(t.accountId, t.createdAtMs)],
);

export const PLAN_CHANGE_STATUSES = ["applied", "scheduled", "cancelled", "pending_approval", "denied", "needs_consent", "applying", "payment_required", "payment_pending", "failed"] as const;
export type PlanChangeStatus = (typeof PLAN_CHANGE_STATUSES)[number];

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
    /**
     * applied | scheduled (downgrade at period end) | cancelled | pending_approval | denied | needs_consent;
     * with a remote provider also: applying (consent recorded, provider call not yet committed),
     * payment_required (waiting for the customer at Stripe Checkout), payment_pending (the charge
     * failed; Stripe keeps the change pending until it is paid), failed (refused; plan unchanged).
     */
    status: text("status", { enum: PLAN_CHANGE_STATUSES }).notNull(),
    effectiveAtMs: integer("effective_at_ms").notNull(),
    appliedAtMs: integer("applied_at_ms"),
    invoiceId: text("invoice_id"),
    /** Sent with every provider call for this change, stored before the first one: a retry is replayed, never repeated. */
    idempotencyKey: text("idempotency_key").unique(),
    /** When the provider was first asked to apply it (unix ms); after that a retry re-sends, it never re-prices. */
    providerSentAtMs: integer("provider_sent_at_ms"),
    /** What the provider made of it: a Stripe subscription, schedule or Checkout Session id. */
    providerRef: text("provider_ref"),
    /** Stripe Checkout: where the customer pays before the change happens. */
    checkoutUrl: text("checkout_url"),
    /** Why it failed or is waiting, in words the customer can read. */
    failureMessage: text("failure_message"),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [
    index("plan_changes_account_idx").on(t.accountId, t.createdAtMs),
    index("plan_changes_due_idx").on(t.status, t.effectiveAtMs),
    // At most one plan change waiting per account (scheduled, awaiting approval, or in flight at the provider).
    uniqueIndex("plan_changes_one_open_idx")
      .on(t.accountId)
      .where(sql`${t.kind} = 'plan_change' and ${t.status} in ('scheduled', 'pending_approval', 'applying', 'payment_required', 'payment_pending')`),
  ],
);

/** The statuses of a change still waiting: at most one per account (a partial unique index). */
export const OPEN_PLAN_CHANGE_STATUSES = ["scheduled", "pending_approval", "applying", "payment_required", "payment_pending"] as const satisfies readonly PlanChangeStatus[];

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
    /** The Stripe invoice this row mirrors (Stripe provider); refunds go to its payment. */
    stripeInvoiceId: text("stripe_invoice_id").unique(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("invoices_account_idx").on(t.accountId, t.createdAtMs)],
);

/**
 * Numbers handed out once each, whichever process asks: the row is incremented in the transaction
 * that uses the number (invoice numbers: `invoice_number`).
 */
export const sequences = sqliteTable("sequences", {
  name: text("name").primaryKey(),
  /** The last number handed out. */
  value: integer("value").notNull(),
});

export const invoiceLines = sqliteTable(
  "invoice_lines",
  {
    id: text("id").primaryKey(),
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    /** balance: credit from the account's balance (an interval change's credit beyond its charge) taken off this invoice. */
    kind: text("kind", { enum: ["plan", "proration_credit", "proration_charge", "overage", "metered", "credit", "balance"] }).notNull(),
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
    /** withdrawn: the customer chose another change before an operator decided. */
    status: text("status", { enum: ["pending", "approved", "denied", "withdrawn"] }).notNull(),
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

/** Stripe webhook events already processed: stored in the transaction of their effect, so each counts once. */
export const stripeEvents = sqliteTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  /** Stripe's `created`, unix ms. */
  createdMs: integer("created_ms").notNull(),
  processedAtMs: integer("processed_at_ms").notNull(),
});

/**
 * Metered usage sent to Stripe as meter events: one row per (account, minute, correction). The
 * identifier is stable, so a retried send is counted once by Stripe; a minute whose count grew
 * later (late events) gets a correction row with the difference.
 */
export const stripeUsageReports = sqliteTable(
  "stripe_usage_reports",
  {
    identifier: text("identifier").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    eventName: text("event_name").notNull(),
    /** Unix ms of the minute's start. */
    minuteMs: integer("minute_ms").notNull(),
    /** 0 for the first report of the minute, 1.. for corrections. */
    seq: integer("seq").notNull(),
    /** Calls reported (billable calls, or calls over the quota for overage). */
    value: integer("value").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAtMs: integer("next_attempt_at_ms").notNull(),
    lastError: text("last_error"),
    sentAtMs: integer("sent_at_ms"),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("stripe_usage_reports_due_idx").on(t.status, t.nextAttemptAtMs), index("stripe_usage_reports_minute_idx").on(t.accountId, t.eventName, t.minuteMs)],
);
