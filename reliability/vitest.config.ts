import { defineConfig } from "vitest/config";

/**
 * The reliability suite: real servers as child processes, load on 127.0.0.1, kills and restarts.
 * Files run one after the other so that a load test never shares the two cores with another one.
 */
export default defineConfig({
  test: {
    include: ["reliability/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ["reliability/global-setup.ts"],
    reporters: ["default", "./reliability/results-reporter.ts"],
  },
});
