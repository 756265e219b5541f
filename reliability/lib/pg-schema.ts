import { randomBytes } from "node:crypto";
import pg from "pg";
import { TEST_DATABASE_URL, TEST_SCHEMA_PREFIX } from "../../server/testing/pg-database";
import type { Counts } from "./db";

/**
 * A PostgreSQL schema of the suite's own in the test database: the instances reach it through a URL
 * naming it (through a proxy the suite can cut), the suite reads it directly.
 */
export class PgSchema {
  private constructor(
    readonly name: string,
    private readonly pool: pg.Pool,
  ) {}

  static async create(): Promise<PgSchema> {
    const name = `${TEST_SCHEMA_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2, options: `-c search_path=${name}` });
    await pool.query(`create schema ${name}`);
    return new PgSchema(name, pool);
  }

  /** The URL an instance is given: the test database at `port` (a proxy in front of it), in this schema. */
  urlVia(port: number): string {
    const u = new URL(TEST_DATABASE_URL);
    u.hostname = "127.0.0.1";
    u.port = String(port);
    u.searchParams.set("options", `-c search_path=${this.name}`);
    return u.toString();
  }

  /** What the rollups hold for an account, as the SQLite helper reads it. */
  async rollups(accountId: string): Promise<{ minute: Counts; ids: number }> {
    const sums = `coalesce(sum(allowed), 0)::int as allowed, coalesce(sum(would_throttle), 0)::int as "wouldThrottle", coalesce(sum(throttled), 0)::int as throttled, coalesce(sum(ceiling), 0)::int as ceiling`;
    const minute = (await this.pool.query<Counts>(`select ${sums} from usage_minute where account_id = $1`, [accountId])).rows[0]!;
    const ids = (await this.pool.query<{ n: number }>("select count(*)::int as n from metered_ids where account_id = $1", [accountId])).rows[0]!.n;
    return { minute, ids };
  }

  async drop(): Promise<void> {
    try {
      await this.pool.query(`drop schema if exists ${this.name} cascade`);
    } finally {
      await this.pool.end();
    }
  }
}
