import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_DATABASE_URL, TEST_SCHEMA_PREFIX } from "../../testing/pg-database";
import { migratePostgres, openPostgres } from "./client";

const schema = `${TEST_SCHEMA_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;

async function admin(query: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return await c.query(query, params);
  } finally {
    await c.end();
  }
}

beforeAll(() => admin(`create schema ${schema}`));
afterAll(() => admin(`drop schema if exists ${schema} cascade`));

describe("openPostgres", () => {
  it("starts every pooled connection with the schema, the statement timeout and the application name", async () => {
    const database = openPostgres(TEST_DATABASE_URL, { schema, statementTimeoutMs: 200, applicationName: "headroom-web-1", maxConnections: 3 });
    try {
      // Four connections at once from a pool of three: each runs the same startup settings.
      const shown = await Promise.all(
        Array.from({ length: 4 }, () => database.pool.query<{ search_path: string; app: string; timeout: string }>("select current_setting('search_path') as search_path, current_setting('application_name') as app, current_setting('statement_timeout') as timeout")),
      );
      for (const r of shown) expect(r.rows[0]).toEqual({ search_path: schema, app: "headroom-web-1", timeout: "200ms" });
      expect(database.pool.totalCount).toBeLessThanOrEqual(3);
      await expect(database.pool.query("select pg_sleep(2)")).rejects.toMatchObject({ code: "57014" });
    } finally {
      await database.close();
      await database.close();
    }
  });

  it("runs without JIT, keeps the URL's own options, and lets the URL and the caller decide over the defaults", async () => {
    const inUrl = new URL(TEST_DATABASE_URL);
    inUrl.searchParams.set("options", `-c search_path=${schema} -c work_mem=8MB`);
    const show = "select current_setting('jit') as jit, current_setting('search_path') as search_path, current_setting('work_mem') as work_mem, current_setting('lock_timeout') as lock_timeout";
    const fromUrl = openPostgres(inUrl.toString(), { settings: { lock_timeout: "3s" } });
    try {
      expect((await fromUrl.pool.query(show)).rows[0]).toEqual({ jit: "off", search_path: schema, work_mem: "8MB", lock_timeout: "3s" });
    } finally {
      await fromUrl.close();
    }
    inUrl.searchParams.set("options", "-c jit=on");
    const asked = openPostgres(inUrl.toString(), { schema });
    try {
      expect((await asked.pool.query(show)).rows[0]).toMatchObject({ jit: "on", search_path: schema });
    } finally {
      await asked.close();
    }
  });

  it("refuses a schema name it would have to quote", () => {
    expect(() => openPostgres(TEST_DATABASE_URL, { schema: "x; drop table accounts" })).toThrow(/Invalid PostgreSQL schema name/);
    expect(() => openPostgres(TEST_DATABASE_URL, { settings: { work_mem: "64MB -c x=y" } })).toThrow(/Invalid PostgreSQL setting/);
  });
});

describe("migratePostgres", () => {
  it("instances migrating at once apply each migration once, with the journal in their own schema", async () => {
    const instances = Array.from({ length: 3 }, () => openPostgres(TEST_DATABASE_URL, { schema, maxConnections: 2 }));
    try {
      const results = await Promise.all(instances.map((i) => migratePostgres(i.db)));
      expect(results.map((r) => r.schema)).toEqual([schema, schema, schema]);
      // Every committed migration once, whichever instance applied it.
      const committed = (JSON.parse(readFileSync(new URL("./migrations/meta/_journal.json", import.meta.url), "utf8")) as { entries: unknown[] }).entries.length;
      expect(committed).toBeGreaterThan(0);
      expect(results.reduce((n, r) => n + r.applied, 0)).toBe(committed);
      const journal = await admin(`select count(*)::int as n from ${schema}.__drizzle_migrations`);
      expect(journal.rows[0].n).toBe(committed);
      expect(await migratePostgres(instances[0]!.db)).toEqual({ schema, applied: 0 });
    } finally {
      await Promise.all(instances.map((i) => i.close()));
    }
  });
});
