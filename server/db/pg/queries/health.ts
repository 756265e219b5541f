import { sql } from "drizzle-orm";
import type { PgDb } from "../client";

/** The PostgreSQL side of `server/db/queries/health.ts`: a round trip to the server, which throws when it cannot answer. */
export async function databaseAnswers(store: PgDb): Promise<void> {
  await store.execute(sql`select 1`);
}
