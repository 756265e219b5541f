import { sql } from "drizzle-orm";
import type { Db } from "../../client";

/** The database answers a trivial query (for /healthz); throws when it cannot. */
export async function databaseAnswers(store: Db): Promise<void> {
  store.get(sql`select 1`);
}
