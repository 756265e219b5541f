import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import * as pgSchema from "./db/pg/schema";
import { TEST_DATABASE_URL, TEST_SCHEMA_PREFIX } from "./testing/pg-database";

const root = resolve(import.meta.dirname, "..");
/** What a migrated schema holds: every table of the PostgreSQL schema, from every committed migration. */
const TABLES = Object.values(pgSchema).filter((t) => is(t, PgTable)).length;
const MIGRATIONS = (JSON.parse(readFileSync(join(root, "server/db/pg/migrations/meta/_journal.json"), "utf8")) as { entries: unknown[] }).entries.length;
const dir = mkdtempSync(join(tmpdir(), "headroom-cli-pg-"));
const schema = `${TEST_SCHEMA_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;
// The schema goes in the URL as a libpq startup option, as a deployment with its own schema would write it.
const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), ...args], {
    env: { ...process.env, DATABASE_PATH: join(dir, "h.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent", ...env },
    encoding: "utf8",
    cwd: root,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

beforeAll(() => admin((c) => c.query(`create schema ${schema}`)));
afterAll(async () => {
  await admin((c) => c.query(`drop schema if exists ${schema} cascade`));
  rmSync(dir, { recursive: true, force: true });
});

describe("headroom CLI with DATABASE_URL (PostgreSQL)", () => {
  it("migrate applies the PostgreSQL migrations into the URL's schema, once", { timeout: 60_000 }, async () => {
    const first = cli({ DATABASE_URL: url }, "migrate", "--json");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toEqual({ database: url, schema, applied: MIGRATIONS, migrated: true });
    const tables = await admin((c) => c.query<{ n: number }>("select count(*)::int as n from information_schema.tables where table_schema = $1", [schema]));
    // Every table and the migration journal, all in this schema.
    expect(TABLES).toBeGreaterThan(29);
    expect(tables.rows[0]!.n).toBe(TABLES + 1);
    const again = cli({ DATABASE_URL: url }, "migrate");
    expect(again.code).toBe(0);
    expect(again.out).toBe(`Database ${url} (PostgreSQL, schema ${schema}) is up to date.\n`);
  });

  it("the other commands run on PostgreSQL, and never touch the SQLite file", { timeout: 120_000 }, async () => {
    const created = cli({ DATABASE_URL: url }, "accounts", "create", "--name", "Acme", "--email", "ops@acme.example", "--plan", "starter", "--json");
    expect(created.err).toBe("");
    expect(created.code).toBe(0);
    const account = JSON.parse(created.out) as { id: string; plan: string };
    expect(account).toMatchObject({ plan: "starter" });
    const key = cli({ DATABASE_URL: url }, "keys", "create", "--account", account.id, "--name", "ci", "--json");
    expect(key.code, key.err).toBe(0);
    const { id: keyId, key: secret } = JSON.parse(key.out) as { id: string; key: string };
    expect(secret).toMatch(/^hr_/);
    const listed = cli({ DATABASE_URL: url }, "accounts", "list", "--json");
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ id: account.id, name: "Acme", email: "ops@acme.example", plan: "starter" })]);
    const revoked = cli({ DATABASE_URL: url }, "keys", "revoke", keyId, "--json");
    expect(revoked.code, revoked.err).toBe(0);
    const link = cli({ DATABASE_URL: url, PUBLIC_URL: "http://headroom.test" }, "portal-link", "--account", account.id, "--json");
    expect(link.code, link.err).toBe(0);
    expect((JSON.parse(link.out) as { url: string }).url).toMatch(/^http:\/\/headroom\.test\//);
    // What the commands wrote is in PostgreSQL, in the URL's schema.
    const rows = await admin((c) => c.query<{ revoked: string | null }>(`select revoked_at_ms as revoked from ${schema}.api_keys where id = $1`, [keyId]));
    expect(rows.rows[0]!.revoked).not.toBeNull();
    expect(existsSync(join(dir, "h.db"))).toBe(false);
  });

  it("a DATABASE_URL that is not PostgreSQL's, or a server that does not answer: one line, no stack, no password", { timeout: 60_000 }, async () => {
    const wrong = cli({ DATABASE_URL: "mysql://app:s3cret@127.0.0.1/headroom" }, "migrate");
    expect(wrong.code).toBe(2);
    expect(wrong.err).toBe('Invalid configuration: DATABASE_URL="mysql://app:***@127.0.0.1/headroom": expected a postgres or postgresql URL\n');
    const port = await closedPort();
    const down = cli({ DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${port}/headroom` }, "migrate");
    expect(down.code).toBe(1);
    expect(down.err).toMatch(new RegExp(`^Cannot connect to PostgreSQL at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/headroom \\(DATABASE_URL\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\n$`));
  });
});
