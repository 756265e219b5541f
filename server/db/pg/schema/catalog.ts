import { bigint, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** PostgreSQL twin of `server/db/schema/catalog.ts`. */
export const planVersions = pgTable(
  "plan_versions",
  {
    planId: text("plan_id").notNull(),
    version: integer("version").notNull(),
    termsJson: text("terms_json").notNull(),
    currency: text("currency").notNull(),
    createdAtMs: bigint("created_at_ms", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.planId, t.version] })],
);

/** SQLite's AUTOINCREMENT is an identity column here: ids are never reused and may be given explicitly. */
export const catalogLoads = pgTable("catalog_loads", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  loadedAtMs: bigint("loaded_at_ms", { mode: "number" }).notNull(),
  dataJson: text("data_json").notNull(),
  source: text("source").notNull(),
});
