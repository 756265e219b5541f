import { sql } from "drizzle-orm";
import type { Store } from "./store";

/** The database answers a trivial query (for /healthz); throws when it cannot. */
export async function databaseAnswers(store: Store): Promise<void> {
  store.get(sql`select 1`);
}
