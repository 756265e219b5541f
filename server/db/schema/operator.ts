import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";

/** Operator choices that override the catalog: the enforcement mode of each plan. */
export const planSettings = sqliteTable("plan_settings", {
  planId: text("plan_id").primaryKey(),
  enforcement: text("enforcement", { enum: ["off", "shadow", "enforce"] }).notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** Switches of the whole installation (billing paused, …). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
});

/** Who did what, when: plan changes, consents, flips, approvals, keys, sign-ins, refunds. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    atMs: integer("at_ms").notNull(),
    /** "operator:<who>", "customer:<email>", "system", "provider" */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    accountId: text("account_id"),
    detailsJson: text("details_json").notNull().default("{}"),
  },
  (t) => [index("audit_log_at_idx").on(t.atMs), index("audit_log_account_idx").on(t.accountId, t.atMs), index("audit_log_action_idx").on(t.action, t.atMs)],
);

/** "Contact us" from the portal: a queue with a 4-hour response clock. */
export const supportRequests = sqliteTable(
  "support_requests",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    topic: text("topic").notNull(),
    message: text("message").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    reply: text("reply"),
    repliedBy: text("replied_by"),
    repliedAtMs: integer("replied_at_ms"),
  },
  (t) => [index("support_requests_open_idx").on(t.repliedAtMs, t.createdAtMs), index("support_requests_account_idx").on(t.accountId, t.createdAtMs)],
);

/** The one optional 0–10 question after a plan change. */
export const satisfaction = sqliteTable(
  "satisfaction",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    planChangeId: text("plan_change_id").notNull().unique(),
    score: integer("score").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("satisfaction_at_idx").on(t.createdAtMs)],
);
