import { bigint, index, pgTable, text } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";

/** PostgreSQL twin of `server/db/schema/auth.ts`. */
export const signInTokens = pgTable(
  "sign_in_tokens",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    role: text("role", { enum: ["customer", "operator"] }).notNull(),
    accountId: text("account_id").references(() => accounts.id),
    returnUrl: text("return_url"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    expiresAtMs: bigint("expires_at_ms", { mode: "number" }).notNull(),
    usedAtMs: bigint("used_at_ms", { mode: "number" }),
  },
  (t) => [index("sign_in_tokens_expires_idx").on(t.expiresAtMs)],
);

export const sessions = pgTable(
  "sessions",
  {
    idHash: text("id_hash").primaryKey(),
    role: text("role", { enum: ["customer", "operator"] }).notNull(),
    accountId: text("account_id").references(() => accounts.id),
    returnUrl: text("return_url"),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    lastSeenAtMs: bigint("last_seen_at_ms", { mode: "number" }).notNull(),
    expiresAtMs: bigint("expires_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [index("sessions_account_idx").on(t.accountId)],
);
