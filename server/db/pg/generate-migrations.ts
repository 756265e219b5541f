import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run db:generate:pg -- [--name <name>]`: drizzle-kit's generate for the PostgreSQL schema, then
 * the one fix its output needs. drizzle-kit writes foreign keys as `REFERENCES "public"."accounts"`;
 * the migrations must create and reference tables in whichever schema the connection's search_path
 * names (a deployment's own schema, or a test file's throwaway one), so the qualifier is removed.
 * Only "public" is ever written: the tables are declared with pgTable, never in a pgSchema.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const PG_MIGRATIONS_DIR = join(ROOT, "server/db/pg/migrations");

export function unqualify(sqlText: string): string {
  return sqlText.replaceAll('"public".', "");
}

function main(): number {
  const kit = spawnSync(join(ROOT, "node_modules/.bin/drizzle-kit"), ["generate", "--config", "drizzle.pg.config.ts", ...process.argv.slice(2)], { cwd: ROOT, stdio: "inherit" });
  if (kit.status !== 0) return kit.status ?? 1;
  for (const file of readdirSync(PG_MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"))) {
    const path = join(PG_MIGRATIONS_DIR, file);
    const before = readFileSync(path, "utf8");
    const after = unqualify(before);
    if (after !== before) writeFileSync(path, after);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
