import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "headroom-cli-exp-"));
const env = { ...process.env, DATABASE_PATH: join(dir, "h.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent", PUBLIC_URL: "https://portal.example.com" };

function cli(...args: string[]) {
  const r = spawnSync(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), ...args], { env, encoding: "utf8", cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("headroom experiment report", () => {
  it("exits 1 without an experiment, then prints the demo's scorecard as JSON and as text", { timeout: 180_000 }, () => {
    expect(cli("migrate").code).toBe(0);
    const none = cli("experiment", "report", "--json");
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out)).toBeNull();
    expect(cli("experiment", "frobnicate").code).toBe(2);

    expect(cli("seed-demo").code).toBe(0);
    const json = cli("experiment", "report", "--json");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as { experiment: { name: string; cohortSize: number }; scorecard: { criteria: Array<{ metric: string; verdict: string }>; overall: { verdict: string; rule: string } } };
    expect(report.experiment).toMatchObject({ name: "Usage-based plans", cohortSize: 10 });
    expect(report.scorecard.criteria).toHaveLength(9);
    expect(report.scorecard.criteria.find((c) => c.metric === "calls_per_day")!.verdict).toBe("met");
    expect(report.scorecard.overall.verdict).toBe("inconclusive");

    const text = cli("experiment", "report");
    expect(text.out).toMatch(/^Usage-based plans: day 14, phase “Testing with 10 beta customers”/);
    expect(text.out).toMatch(/success\s+API calls per day\s+> 100 .* Met/);
    expect(text.out).toMatch(/Rule: Failing as soon as any failure criterion is met at 95% confidence/);
  });
});
