import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoCatalog } from "../../../shared/testing/demo-catalog";
import { loadConfig } from "../../config";
import { DodoDouble } from "../../testing/dodo-double";
import { METER_ALL_CALLS, METER_OVERAGE_CALLS } from "../stripe/stripe-catalog";
import { createDodoClient } from "./dodo-client";
import { syncDodoMeters } from "./dodo-meters";

let double: DodoDouble;

beforeEach(async () => {
  double = new DodoDouble();
  await double.start();
});
afterEach(() => double.stop());

const dodoConfig = () => loadConfig({ DATABASE_PATH: ":memory:", HEADROOM_DEMO: "false", DODO_PAYMENTS_API_KEY: "dodo_test_meters_key", DODO_PAYMENTS_BASE_URL: double.baseUrl });

describe("dodo sync: the catalog's meters in Dodo Payments", () => {
  it("creates one summing meter per event name the usage reporter sends, through the real SDK, and nothing on a second run", async () => {
    const dodo = createDodoClient(dodoConfig());
    const first = await syncDodoMeters(dodo, demoCatalog);
    // The demo bills calls metered (Enterprise) and past the quota (Pro's overage): the two event names usage goes to.
    expect(first.map((a) => [a.eventName, a.action]).sort()).toEqual([
      [METER_ALL_CALLS, "created"],
      [METER_OVERAGE_CALLS, "created"],
    ]);
    const sent = double.calls("POST", /^\/meters$/).map((c) => c.body);
    expect(sent).toHaveLength(2);
    for (const body of sent) expect(body).toMatchObject({ measurement_unit: "API calls", aggregation: { type: "sum", key: "value" } });
    expect(sent.map((b) => b?.event_name).sort()).toEqual([METER_ALL_CALLS, METER_OVERAGE_CALLS]);

    const second = await syncDodoMeters(dodo, demoCatalog);
    expect(second.map((a) => a.action)).toEqual(["unchanged", "unchanged"]);
    expect(second.map((a) => a.id).sort()).toEqual(first.map((a) => a.id).sort());
    expect(double.calls("POST", /^\/meters$/)).toHaveLength(2);
  });

  it("`headroom dodo sync --json` says what it created; without DODO_PAYMENTS_API_KEY it says what it needs", async () => {
    const root = resolve(import.meta.dirname, "../../..");
    const dir = mkdtempSync(join(tmpdir(), "headroom-dodo-sync-"));
    try {
      const base = { ...process.env, DATABASE_PATH: join(dir, "headroom.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent" };
      // Asynchronously: the double answers from this process.
      const run = (env: NodeJS.ProcessEnv) =>
        promisify(execFile)(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), "dodo", "sync", "--json"], { env, encoding: "utf8", cwd: root }).then(
          (r) => ({ status: 0, ...r }),
          (e: { code?: number; stdout: string; stderr: string }) => ({ status: e.code ?? -1, stdout: e.stdout, stderr: e.stderr }),
        );
      const done = await run({ ...base, DODO_PAYMENTS_API_KEY: "dodo_test_meters_key", DODO_PAYMENTS_BASE_URL: double.baseUrl });
      expect(done.status, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({ created: 2, unchanged: 0 });
      const refused = await run({ ...base, DODO_PAYMENTS_API_KEY: "" });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/^dodo sync needs DODO_PAYMENTS_API_KEY\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
