import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";

/**
 * Notices to customers about their caps and their plan. One per dedupe key (account, kind, window,
 * billing period start). The meter's grace rule reads `delivered_at_ms`: no call is refused for a
 * cap before the customer was reached about it and the grace period has passed.
 */
export const notices = sqliteTable(
  "notices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    /** approaching | reached | sustained | enforcement_scheduled | plan_changed | … */
    kind: text("kind").notNull(),
    /** minute | day | month, or null for a notice about every cap of the plan. */
    window: text("window"),
    /** The meter whose caps the notice is about ('' = the default meter: notices written before meters were counted apart). */
    meter: text("meter").notNull().default(""),
    periodStartMs: integer("period_start_ms").notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    /** The figures at the time of the notice (JSON): usage, cap, reset, plan, recommendation, dates. */
    factsJson: text("facts_json").notNull().default("{}"),
    createdAtMs: integer("created_at_ms").notNull(),
    /** When the customer was first reached (e-mail accepted by the SMTP server, or banner shown); null until then. */
    deliveredAtMs: integer("delivered_at_ms"),
    /** The customer dismissed the banner for this notice. */
    dismissedAtMs: integer("dismissed_at_ms"),
  },
  (t) => [index("notices_account_idx").on(t.accountId, t.createdAtMs)],
);

/**
 * Messages waiting to go out (e-mail, provider webhook), with retries. A row is marked `sending`
 * (attempts + 1) in its own commit before the send, so a crash between send and record re-sends at
 * most once; webhooks carry the row id as an idempotency key so a receiver can drop that repeat.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    noticeId: text("notice_id").references(() => notices.id),
    accountId: text("account_id").references(() => accounts.id),
    channel: text("channel", { enum: ["email", "webhook"] }).notNull(),
    /** One message per notice and channel. */
    dedupeKey: text("dedupe_key").notNull().unique(),
    /** Recipient: an e-mail address or a URL. */
    recipient: text("recipient").notNull(),
    subject: text("subject"),
    /** E-mail: { text, html, headers }; webhook: the JSON body. */
    payloadJson: text("payload_json").notNull(),
    /** pending → sending → sent | failed; `stored` when no SMTP server is configured (kept for the console). */
    status: text("status", { enum: ["pending", "sending", "sent", "failed", "stored"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAtMs: integer("next_attempt_at_ms").notNull(),
    lastError: text("last_error"),
    createdAtMs: integer("created_at_ms").notNull(),
    sentAtMs: integer("sent_at_ms"),
  },
  (t) => [index("outbox_due_idx").on(t.status, t.nextAttemptAtMs), index("outbox_account_idx").on(t.accountId, t.createdAtMs)],
);

/** E-mail on or off per notice kind; absent = on. In-app is always on; enforcement notices always e-mailed. */
export const notificationPreferences = sqliteTable(
  "notification_preferences",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    kind: text("kind").notNull(),
    email: integer("email", { mode: "boolean" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.kind] })],
);
