import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig, devices } from "@playwright/test";

// The config is evaluated by the runner and again by each worker; workers inherit the runner's
// environment, so the port, database and token are chosen once and shared through it.
if (!process.env.E2E_PORT) {
  process.env.E2E_PORT = execFileSync(process.execPath, [
    "-e",
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
}
process.env.E2E_DIR ??= mkdtempSync(join(tmpdir(), "headroom-e2e-"));
process.env.E2E_SERVER_TOKEN ??= `e2e-server-token-${process.pid}-${Date.now()}`;

const port = Number(process.env.E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;
const chromium = existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Budgets, not expectations: a passing test takes seconds, but on a busy machine (CI sharing its
  // cores, axe scans, a 4-page flow) one can need several times that; only a failure waits this long.
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    // node --import tsx, not the tsx CLI: tsx kills its child 60 ms after relaying SIGTERM, before a graceful stop.
    command: "node --import tsx server/cli.ts start",
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: baseURL,
      DATABASE_PATH: join(process.env.E2E_DIR, "headroom.db"),
      HEADROOM_DEMO: "true",
      HEADROOM_SERVER_TOKEN: process.env.E2E_SERVER_TOKEN,
      LOG_LEVEL: "warn",
    },
  },
});
