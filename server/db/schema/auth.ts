import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";

/** One-time sign-in links (portal links, e-mail links, operator links). Only the hash is stored. */
export const signInTokens = sqliteTable(
  "sign_in_tokens",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    role: text("role", { enum: ["customer", "operator"] }).notNull(),
    accountId: text("account_id").references(() => accounts.id),
    /** Where "Back to <provider>" leads, for links made by the provider's backend. */
    returnUrl: text("return_url"),
    createdAtMs: integer("created_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
    usedAtMs: integer("used_at_ms"),
  },
  (t) => [index("sign_in_tokens_expires_idx").on(t.expiresAtMs)],
);

/** Browser sessions; the cookie carries a random id, the table its hash. */
export const sessions = sqliteTable(
  "sessions",
  {
    idHash: text("id_hash").primaryKey(),
    role: text("role", { enum: ["customer", "operator"] }).notNull(),
    accountId: text("account_id").references(() => accounts.id),
    returnUrl: text("return_url"),
    createdAtMs: integer("created_at_ms").notNull(),
    lastSeenAtMs: integer("last_seen_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
  },
  (t) => [index("sessions_account_idx").on(t.accountId)],
);
