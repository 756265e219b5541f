import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as pgSchema from "../db/pg/schema";
import * as liteSchema from "../db/schema";
import type { DialectStore } from "./pg-dialects";

/**
 * Rows written and read past the query modules, on either dialect: what a suite run on both needs to
 * set the scene (a plan change without the quote flow behind it) and to see what a query stored.
 * Tables are named by their export, which both schemas share with the same row types.
 */
export type TableName = { [K in keyof typeof liteSchema & keyof typeof pgSchema]: (typeof liteSchema)[K] extends SQLiteTable ? K : never }[keyof typeof liteSchema & keyof typeof pgSchema];
export type Row<T extends TableName> = (typeof liteSchema)[T]["$inferSelect"];
export type NewRow<T extends TableName> = (typeof liteSchema)[T]["$inferInsert"];

function tables<T extends TableName>(name: T): { lite: SQLiteTable; pg: PgTable } {
  const lite: unknown = liteSchema[name];
  const pg: unknown = pgSchema[name];
  if (!is(lite, SQLiteTable) || !is(pg, PgTable)) throw new Error(`${name} is not a table of both schemas`);
  return { lite, pg };
}

export async function insertRows<T extends TableName>(store: DialectStore, name: T, rows: NewRow<T>[]): Promise<void> {
  if (rows.length === 0) return;
  const { lite, pg } = tables(name);
  // The table is chosen by name at run time, so drizzle cannot type the values: NewRow<T> is the same on both dialects.
  if (store.dialect === "sqlite") store.db.insert(lite).values(rows as never).run();
  else await store.db.insert(pg).values(rows as never);
}

/** Every row of the table, in no particular order. */
export async function rowsOf<T extends TableName>(store: DialectStore, name: T): Promise<Row<T>[]> {
  const { lite, pg } = tables(name);
  const rows: unknown[] = store.dialect === "sqlite" ? store.db.select().from(lite).all() : await store.db.select().from(pg);
  return rows as Row<T>[];
}

export const countRows = async (store: DialectStore, name: TableName): Promise<number> => (await rowsOf(store, name)).length;

/**
 * A plan change with the quote and consent it needs, the figures beside the point: what is under test
 * is who the change is for, where it goes, and where it stands.
 */
export async function seedPlanChange(
  store: DialectStore,
  change: { id: string; accountId: string; fromPlanId?: string; toPlanId: string; toPlanVersion?: number; kind?: "plan_change" | "overage_opt_in" | "overage_opt_out"; status: NewRow<"planChanges">["status"]; effectiveAtMs?: number; createdAtMs?: number },
): Promise<void> {
  const kind = change.kind ?? "plan_change";
  const fromPlanId = change.fromPlanId ?? "starter";
  // When it takes effect and when it was made: one moment unless a test tells them apart.
  const at = change.effectiveAtMs ?? change.createdAtMs ?? 0;
  const createdAtMs = change.createdAtMs ?? at;
  await insertRows(store, "quotes", [
    {
      id: `q_${change.id}`,
      accountId: change.accountId,
      kind,
      fromPlanId,
      toPlanId: change.toPlanId,
      toPlanVersion: change.toPlanVersion ?? 1,
      timing: "now",
      prorationAtMs: at,
      periodStartMs: at,
      periodEndMs: at,
      creditMinor: 0,
      chargeMinor: 0,
      amountDueNowMinor: 0,
      recurringMinor: 0,
      recurringFromMs: at,
      effectiveAtMs: at,
      projectedMonthlyMinor: 0,
      currency: "USD",
      consentText: "",
      linesJson: "[]",
      accountFingerprint: "",
      catalogFingerprint: "",
      createdAtMs: at,
      expiresAtMs: at,
    },
  ]);
  await insertRows(store, "consents", [
    { id: `c_${change.id}`, quoteId: `q_${change.id}`, accountId: change.accountId, signedInAs: "test", textShown: "", amountDueNowMinor: 0, recurringMinor: 0, currency: "USD", createdAtMs: at },
  ]);
  await insertRows(store, "planChanges", [
    { id: change.id, accountId: change.accountId, quoteId: `q_${change.id}`, consentId: `c_${change.id}`, kind, fromPlanId, toPlanId: change.toPlanId, status: change.status, effectiveAtMs: at, createdAtMs, updatedAtMs: createdAtMs },
  ]);
}

/** An account with the defaults a test does not care about. */
export function accountRow(id: string, over: Partial<NewRow<"accounts">> = {}): NewRow<"accounts"> {
  return { id, name: id, email: `${id}@example.com`, planId: "starter", billingAnchorMs: 0, createdAtMs: 0, ...over };
}
