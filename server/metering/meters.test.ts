import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCatalog } from "../../shared/catalog-file";
import { twoMeterCatalog, twoMeterCatalogFile } from "../../shared/testing/two-meter-catalog";
import { createAccount } from "../accounts/accounts";
import { migrateDatabase, openDatabase, type Database_ } from "../db/client";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { testMeter } from "../testing/test-meter";
import type { CheckResult, Meter, MeterOptions } from "./meter";
import { rateLimitHeaders, refusalProblem, refusalWait } from "./responses";

/** Counting, limiting and remembering per meter: "calls" (API calls, the default) and "mcp" (MCP tool calls). */

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-25T14:00:00Z");

let dir: string;
let database: Database_;
let clock: ManualClock;

function meterOn(overrides: Partial<MeterOptions> = {}): Meter {
  return testMeter(database.sqlite, clock, { catalog: twoMeterCatalog, ...overrides });
}

async function setup(planId: string, mode?: "off" | "shadow" | "enforce") {
  const acc = await createAccount(database.db, twoMeterCatalog, clock, { name: `Acct ${Math.random()}`, email: `a${Math.random()}@example.com`, planId });
  if (mode) database.sqlite.prepare("update accounts set enforcement_override = ? where id = ?").run(mode, acc.id);
  const key = await createKey(database.db, clock, { accountId: acc.id, name: "k" });
  return { accountId: acc.id, key: key.key };
}

/** A delivered notice about a cap of `meter` (omitted: written before meters, the default meter's), long enough ago to refuse. */
function told(accountId: string, window: string, meter?: string) {
  const at = clock.now() - 100 * HOUR;
  if (meter === undefined) {
    database.sqlite
      .prepare("insert into notices (id, account_id, kind, window, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', ?, 0, ?, ?, ?)")
      .run(`n${Math.random()}`, accountId, window, `d${Math.random()}`, at, at);
  } else {
    database.sqlite
      .prepare("insert into notices (id, account_id, kind, window, meter, period_start_ms, dedupe_key, created_at_ms, delivered_at_ms) values (?, ?, 'reached', ?, ?, 0, ?, ?, ?)")
      .run(`n${Math.random()}`, accountId, window, meter, `d${Math.random()}`, at, at);
  }
}

const ok = (r: CheckResult) => {
  if (!r.ok) throw new Error(`expected a decision, got ${r.reason}`);
  return r;
};
const used = (r: CheckResult, window: string) => ok(r).limits.find((l) => l.window === window)!.used;
const servedOn = (accountId: string, meter: string) =>
  database.sqlite.prepare("select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = ? and meter = ?").pluck().get(accountId, meter) as number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "headroom-meters-"));
  database = openDatabase(join(dir, "h.db"));
  migrateDatabase(database.db);
  clock = new ManualClock(T0);
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("two meters with their own caps", () => {
  it("refuses MCP tool calls over their minute cap while API calls go on, each meter with its own notice and grace", async () => {
    const meter = meterOn();
    const { accountId, key } = await setup("starter", "enforce");
    told(accountId, "minute", "mcp");
    // Starter: 10 MCP tool calls a minute, 60 API calls.
    for (let i = 0; i < 10; i++) expect(ok(meter.check(key, 1, undefined, "mcp")).decision).toBe("allow");
    const refused = ok(meter.check(key, 1, undefined, "mcp"));
    expect(refused).toMatchObject({ decision: "throttle", allowed: false, refusing: ["minute"] });
    expect(refused.meter.id).toBe("mcp");
    expect(used(refused, "minute")).toBe(10);

    // API calls count apart: the default meter, untouched by the MCP calls.
    const call = ok(meter.check(key, 1));
    expect(call).toMatchObject({ decision: "allow", allowed: true });
    expect(call.meter.id).toBe("calls");
    expect(used(call, "minute")).toBe(1);
    expect(call.limits.find((l) => l.window === "minute")!.limit).toBe(60);
    // 60 API calls fill their minute; the 61st is over, but only the MCP cap was told about: served, would_throttle.
    for (let i = 0; i < 59; i++) ok(meter.check(key, 1, undefined, "calls"));
    expect(ok(meter.check(key, 1))).toMatchObject({ decision: "would_throttle", violated: ["minute"] });

    meter.flush();
    expect(servedOn(accountId, "mcp")).toBe(10);
    expect(servedOn(accountId, "calls")).toBe(61);
    const events = database.sqlite.prepare("select meter, window, decision, count from limit_events where account_id = ? order by meter").all(accountId);
    expect(events).toEqual([
      { meter: "calls", window: "minute", decision: "would_throttle", count: 1 },
      { meter: "mcp", window: "minute", decision: "throttle", count: 1 },
    ]);
  });

  it("restores each meter's windows from its own rollups after a restart", async () => {
    const first = meterOn();
    const { key } = await setup("business");
    first.check(key, 7, undefined, "mcp");
    first.check(key, 3);
    first.flush();
    clock.advance(5 * 60_000);
    const second = meterOn();
    expect(used(second.check(key, 1, undefined, "mcp"), "day")).toBe(8);
    expect(used(second.check(key, 1), "day")).toBe(4);
  });

  it("answers an unknown meter with the meters there are, and counts nothing", async () => {
    const meter = meterOn();
    const { key } = await setup("business");
    const r = meter.check(key, 1, "id-1", "tools");
    expect(r).toEqual({ ok: false, reason: "unknown_meter", meter: "tools", meters: [{ id: "calls", unit: "API calls" }, { id: "mcp", unit: "MCP tool calls" }] });
    expect(meter.pendingCount()).toBe(0);
    // The same id on a real meter is a first call, not a replay of the refused one.
    expect(ok(meter.check(key, 1, "id-1", "mcp")).duplicate).toBe(false);
  });

  it("keeps idempotency ids per meter: the same id on two meters is two calls, a retry on one is a replay", async () => {
    const meter = meterOn();
    const { accountId, key } = await setup("business");
    expect(ok(meter.check(key, 1, "req-1")).duplicate).toBe(false);
    expect(ok(meter.check(key, 1, "req-1", "mcp")).duplicate).toBe(false);
    expect(ok(meter.check(key, 1, "req-1", "mcp")).duplicate).toBe(true);
    meter.flush();
    // Replayed from the stored ids after the flush, on each meter.
    expect(ok(meter.check(key, 1, "req-1", "calls")).duplicate).toBe(true);
    expect(ok(meter.check(key, 1, "req-1", "mcp")).duplicate).toBe(true);
    meter.flush();
    expect([servedOn(accountId, "calls"), servedOn(accountId, "mcp")]).toEqual([1, 1]);
  });
});

describe("the per-key safety ceiling", () => {
  it("is one count per key across meters when the catalog's keyCeiling is shared (the default)", async () => {
    const meter = meterOn({ ceilingPerMinute: 5 });
    const { key } = await setup("enterprise");
    for (let i = 0; i < 3; i++) expect(ok(meter.check(key, 1)).decision).toBe("allow");
    for (let i = 0; i < 2; i++) expect(ok(meter.check(key, 1, undefined, "mcp")).decision).toBe("allow");
    const refused = ok(meter.check(key, 1, undefined, "mcp"));
    expect(refused.decision).toBe("ceiling");
    expect(refused.ceiling).toMatchObject({ limit: 5, used: 5 });
    expect(ok(meter.check(key, 1)).decision).toBe("ceiling");
    // Named "ceiling", the same for every meter.
    const wait = refusalWait(refused, clock.now())!;
    expect(refusalProblem(refused, wait, clock.now(), null)["violated-policies"]).toEqual(["ceiling"]);
  });

  it("counts each meter apart when the catalog's keyCeiling is per-meter", async () => {
    const meter = meterOn({ catalog: parseCatalog(twoMeterCatalogFile("per-meter")), ceilingPerMinute: 5 });
    const { key } = await setup("enterprise");
    for (let i = 0; i < 5; i++) expect(ok(meter.check(key, 1)).decision).toBe("allow");
    for (let i = 0; i < 5; i++) expect(ok(meter.check(key, 1, undefined, "mcp")).decision).toBe("allow");
    const refused = ok(meter.check(key, 1, undefined, "mcp"));
    expect(refused.decision).toBe("ceiling");
    expect(ok(meter.check(key, 1)).decision).toBe("ceiling");
    const wait = refusalWait(refused, clock.now())!;
    expect(refusalProblem(refused, wait, clock.now(), null)["violated-policies"]).toEqual(["mcp-ceiling"]);
    expect(rateLimitHeaders(refused, clock.now(), 30 * 86_400, wait)["ratelimit"]).toMatch(/^"mcp-ceiling";r=0;t=\d+$/);
  });
});

describe("events on several meters", () => {
  it("records a batch of mixed meters, each event once per account and meter, and rejects an unknown meter", async () => {
    const meter = meterOn();
    const { accountId, key } = await setup("business");
    const at = T0 - 10 * 60_000;
    const r = meter.recordEvents([
      { id: "e1", key, cost: 2, timestampMs: at },
      { id: "e1", key, cost: 3, timestampMs: at, meter: "mcp" },
      { id: "e2", key, cost: 4, timestampMs: at, meter: "mcp" },
      { id: "e3", key, cost: 1, timestampMs: at, meter: "tools" },
    ]);
    expect(r).toEqual({ accepted: 3, duplicates: 0, rejected: [{ index: 3, id: "e3", reason: "unknown_meter" }] });
    expect(meter.recordEvents([{ id: "e1", key, cost: 2, timestampMs: at, meter: "calls" }])).toMatchObject({ accepted: 0, duplicates: 1 });
    meter.flush();
    expect(meter.recordEvents([{ id: "e2", key, cost: 4, timestampMs: at, meter: "mcp" }])).toMatchObject({ accepted: 0, duplicates: 1 });
    expect([servedOn(accountId, "calls"), servedOn(accountId, "mcp")]).toEqual([2, 7]);
    expect(used(meter.check(key, 1, undefined, "mcp"), "day")).toBe(8);
    expect(database.sqlite.prepare("select meter, allowed, peak_minute as peak from usage_day where account_id = ? order by meter").all(accountId)).toEqual([
      { meter: "calls", allowed: 2, peak: 2 },
      { meter: "mcp", allowed: 7, peak: 7 },
    ]);
  });
});

describe("where an account stands, per meter", () => {
  it("stands on every meter for detection, the default first, and reads a notice written before meters as the default meter's", async () => {
    const meter = meterOn();
    const { accountId, key } = await setup("starter", "enforce");
    told(accountId, "day");
    meter.check(key, 150, undefined, "mcp");
    const s = meter.standing(accountId);
    expect(s.meters.map((m) => m.meter.id)).toEqual(["calls", "mcp"]);
    expect(s.meters[0]!.noticeDeliveredAtMs.day).toBeDefined();
    expect(s.meters[1]!.noticeDeliveredAtMs).toEqual({});
    expect(s.meters[1]!.limits.find((l) => l.window === "day")).toMatchObject({ limit: 200, used: 150, state: "fine" });
    expect(meter.limitsFor(accountId, "mcp").limits.find((l) => l.window === "minute")).toMatchObject({ limit: 10, used: 150 });
    expect(meter.limitsFor(accountId).limits.find((l) => l.window === "minute")).toMatchObject({ limit: 60, used: 0 });
  });
});
