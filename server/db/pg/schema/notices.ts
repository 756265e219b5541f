import { bigint, boolean, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";

/** PostgreSQL twin of `server/db/schema/notices.ts`. */
export const notices = pgTable(
  "notices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    kind: text("kind").notNull(),
    window: text("window"),
    meter: text("meter").notNull().default(""),
    periodStartMs: bigint("period_start_ms", { mode: "number" }).notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    factsJson: text("facts_json").notNull().default("{}"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    deliveredAtMs: bigint("delivered_at_ms", { mode: "number" }),
    dismissedAtMs: bigint("dismissed_at_ms", { mode: "number" }),
  },
  (t) => [index("notices_account_idx").on(t.accountId, t.createdAtMs)],
);

export const outbox = pgTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    noticeId: text("notice_id").references(() => notices.id),
    accountId: text("account_id").references(() => accounts.id),
    channel: text("channel", { enum: ["email", "webhook"] }).notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    recipient: text("recipient").notNull(),
    subject: text("subject"),
    payloadJson: text("payload_json").notNull(),
    status: text("status", { enum: ["pending", "sending", "sent", "failed", "stored"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAtMs: bigint("next_attempt_at_ms", { mode: "number" }).notNull(),
    lastError: text("last_error"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    sentAtMs: bigint("sent_at_ms", { mode: "number" }),
  },
  (t) => [index("outbox_due_idx").on(t.status, t.nextAttemptAtMs), index("outbox_account_idx").on(t.accountId, t.createdAtMs)],
);

export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    kind: text("kind").notNull(),
    email: boolean("email").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.kind] })],
);
