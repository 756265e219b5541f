import { defineConfig } from "drizzle-kit";

/** The PostgreSQL dialect (DATABASE_URL=postgres://…): its own schema and migrations, beside SQLite's. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/pg/schema/index.ts",
  out: "./server/db/pg/migrations",
});
