import { bigint, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";

/** PostgreSQL twin of `server/db/schema/operator.ts`. */
export const planSettings = pgTable("plan_settings", {
  planId: text("plan_id").primaryKey(),
  enforcement: text("enforcement", { enum: ["off", "shadow", "enforce"] }).notNull(),
  updatedAtMs: bigint("updated_at_ms", { mode: "number" }).notNull(),
  updatedBy: text("updated_by").notNull(),
});

export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAtMs: bigint("updated_at_ms", { mode: "number" }).notNull(),
});

export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    atMs: bigint("at_ms", { mode: "number" }).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    accountId: text("account_id"),
    detailsJson: text("details_json").notNull().default("{}"),
  },
  (t) => [index("audit_log_at_idx").on(t.atMs), index("audit_log_account_idx").on(t.accountId, t.atMs), index("audit_log_action_idx").on(t.action, t.atMs)],
);

export const supportRequests = pgTable(
  "support_requests",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    topic: text("topic").notNull(),
    message: text("message").notNull(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    reply: text("reply"),
    repliedBy: text("replied_by"),
    repliedAtMs: bigint("replied_at_ms", { mode: "number" }),
  },
  (t) => [index("support_requests_open_idx").on(t.repliedAtMs, t.createdAtMs), index("support_requests_account_idx").on(t.accountId, t.createdAtMs)],
);

export const satisfaction = pgTable(
  "satisfaction",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    planChangeId: text("plan_change_id").notNull().unique(),
    score: integer("score").notNull(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("satisfaction_at_idx").on(t.createdAtMs)],
);
