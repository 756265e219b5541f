import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "shared/**/*.test.ts", "client/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    // A hook that starts a real server (on PostgreSQL: a schema of its own, migrated) on a busy machine.
    hookTimeout: 30_000,
    pool: "forks",
    // PostgreSQL and Redis answer, or the run stops at once with the command that starts the missing one.
    globalSetup: ["server/testing/global-setup.ts"],
  },
});
