import { withoutPassword } from "../../config";
import { migratePostgres, openPostgres } from "./client";

/** PostgreSQL did not answer (refused, unknown host, timeout, bad credentials, no such database): one line, no stack. */
export class PostgresUnavailableError extends Error {
  override name = "PostgresUnavailableError";
}

/** Why a connection failed, in one line. */
export function connectionFailure(err: unknown): string {
  // node-postgres reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError without a message.
  if (err instanceof AggregateError && err.errors.length) return connectionFailure(err.errors[0]);
  if (err instanceof Error) return err.message || ("code" in err ? String(err.code) : err.name);
  return String(err);
}

/**
 * `headroom migrate` with DATABASE_URL: applies the PostgreSQL migrations this database has not seen,
 * in the schema the URL's role (or its search_path option) makes current. No statement timeout: an
 * index built on a large table may take longer than a request may.
 */
export async function migratePostgresUrl(url: string): Promise<{ database: string; schema: string; applied: number }> {
  const database = openPostgres(url, { maxConnections: 2, statementTimeoutMs: 0, connectionTimeoutMs: 5_000, applicationName: "headroom-migrate" });
  const shown = withoutPassword(url);
  try {
    try {
      await database.pool.query("select 1");
    } catch (err) {
      throw new PostgresUnavailableError(`Cannot connect to PostgreSQL at ${shown} (DATABASE_URL): ${connectionFailure(err)}`);
    }
    const { schema, applied } = await migratePostgres(database.db);
    return { database: shown, schema, applied };
  } finally {
    await database.close();
  }
}
