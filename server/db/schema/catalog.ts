import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Every version of each plan's terms (its prices, yearly-quota rule and per-meter limits) the
 * installation has sold. A catalog file whose terms for a plan differ from the latest version adds
 * a version; accounts stay on the version they are on until they change plan or take the current one.
 */
export const planVersions = sqliteTable(
  "plan_versions",
  {
    planId: text("plan_id").notNull(),
    version: integer("version").notNull(),
    /** The terms as the catalog file gave them (JSON: price, yearlyQuota, limits). */
    termsJson: text("terms_json").notNull(),
    /** The catalog's currency when this version was recorded. */
    currency: text("currency").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.planId, t.version] })],
);

/** Each catalog file that was loaded and differed from the one before: what the console shows as "what changed". */
export const catalogLoads = sqliteTable("catalog_loads", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  loadedAtMs: integer("loaded_at_ms").notNull(),
  /** The catalog as parsed (JSON). */
  dataJson: text("data_json").notNull(),
  /** Where it was read from. */
  source: text("source").notNull(),
});
