import { bigint, index, pgTable, text } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";

/** PostgreSQL twin of `server/db/schema/keys.ts`. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
    lastUsedAtMs: bigint("last_used_at_ms", { mode: "number" }),
    revokedAtMs: bigint("revoked_at_ms", { mode: "number" }),
  },
  (t) => [index("api_keys_account_idx").on(t.accountId)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
