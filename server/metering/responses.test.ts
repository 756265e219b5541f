import { describe, expect, it } from "vitest";
import { limitStatus } from "../../shared/limits";
import type { WindowName } from "../../shared/plans";
import { parseCatalog } from "../../shared/catalog-file";
import { demoCatalog } from "../../shared/testing/demo-catalog";
import { twoMeterCatalog, twoMeterCatalogFile } from "../../shared/testing/two-meter-catalog";
import { MeterSpecs } from "./meters";
import { rateLimitHeaders, refusalProblem, refusalWait, type CheckOk } from "./responses";

const NOW = Date.parse("2026-11-25T23:40:00Z");
const PERIOD = { startMs: Date.parse("2026-11-01T00:00:00Z"), endMs: Date.parse("2026-12-01T00:00:00Z") };
const PERIOD_SECONDS = (PERIOD.endMs - PERIOD.startMs) / 1000;

/** A /v1/check result on the Starter plan (60 per minute, 1,000 per day). */
function result(o: { decision: CheckOk["decision"]; cost: number; used: Partial<Record<WindowName, number>>; resets?: Partial<Record<WindowName, number>>; refusing?: WindowName[]; ceilingUsed?: number; ceilingResetAtMs?: number; meter?: CheckOk["meter"] }): CheckOk {
  const caps: Record<WindowName, number | undefined> = { minute: 60, day: 1000, month: undefined };
  const resets: Record<WindowName, number> = { minute: NOW + 60_000, day: Date.parse("2026-11-26T00:00:00Z"), month: PERIOD.endMs, ...o.resets };
  const limits = (["minute", "day", "month"] as const).map((w) => limitStatus({ window: w, limit: caps[w], used: o.used[w] ?? 0, resetAtMs: resets[w] }));
  return {
    ok: true,
    decision: o.decision,
    allowed: o.decision === "allow" || o.decision === "would_throttle",
    duplicate: false,
    keyId: "key_1",
    account: { id: "acc_1", name: "Acme" },
    plan: { id: "starter", name: "Starter" },
    mode: "enforce",
    meter: o.meter ?? new MeterSpecs(demoCatalog).default,
    cost: o.cost,
    limits,
    violated: o.refusing ?? [],
    refusing: o.refusing ?? [],
    ceiling: { limit: 1000, used: o.ceilingUsed ?? 0, resetAtMs: o.ceilingResetAtMs ?? NOW },
    period: PERIOD,
    recommendedPlanId: "business",
  };
}

/** The moment a detail says calls come back ("in 24 seconds (19:53:24 UTC)" or "at 26 Nov 2026, 00:01 UTC"), as unix ms. */
function statedMs(detail: string, nowMs: number): number {
  const short = detail.match(/in \d+ seconds? \((\d\d):(\d\d):(\d\d) UTC\)/);
  const day = new Date(nowMs).toISOString().slice(0, 10);
  if (short) {
    const ms = Date.parse(`${day}T${short[1]}:${short[2]}:${short[3]}Z`);
    return ms < nowMs ? ms + 86_400_000 : ms;
  }
  const long = detail.match(/at (?:(\d+ \w+ \d{4}), )?(\d\d):(\d\d) UTC/);
  if (!long) throw new Error(`no time in: ${detail}`);
  const date = long[1] ? new Date(`${long[1]} 00:00:00 UTC`).toISOString().slice(0, 10) : day;
  return Date.parse(`${date}T${long[2]}:${long[3]}:00Z`);
}

describe("a refusal's words, RateLimit and Retry-After agree", () => {
  it("a day refusal: Retry-After carries the jitter, the words are never earlier than it, resetAt stays the true reset", () => {
    const r = result({ decision: "throttle", cost: 1, used: { minute: 3, day: 1000 }, refusing: ["day"] });
    const wait = refusalWait(r, NOW, () => 0.99)!;
    const headers = rateLimitHeaders(r, NOW, PERIOD_SECONDS, wait);
    expect(headers["ratelimit"]).toBe('"day";r=0;t=1200');
    expect(headers["retry-after"]).toBe("1259"); // 1,200 s to midnight + 59 s of jitter
    const problem = refusalProblem(r, wait, NOW, null);
    expect(problem.resetAt).toBe("2026-11-26T00:00:00.000Z");
    expect(problem.detail).toBe("You made 1,000 calls today (UTC); the Starter plan allows 1,000 per day. Calls are accepted again at 26 Nov 2026, 00:01 UTC.");
  });

  it("whatever the jitter and the instant, the stated time is never earlier than now + Retry-After, and Retry-After never earlier than t", () => {
    for (const offsetMs of [0, 1, 400, 999, 59_999, 1_170_000, 1_199_001]) {
      for (const j of [0, 0.3, 0.5, 0.999]) {
        const now = NOW + offsetMs;
        const r = result({ decision: "throttle", cost: 1, used: { day: 1000 }, refusing: ["day"] });
        const wait = refusalWait(r, now, () => j)!;
        const headers = rateLimitHeaders(r, now, PERIOD_SECONDS, wait);
        const retryAfter = Number(headers["retry-after"]);
        const t = Number(/t=(\d+)/.exec(headers["ratelimit"]!)![1]);
        expect(now + t * 1000).toBeGreaterThanOrEqual(Date.parse("2026-11-26T00:00:00Z"));
        expect(retryAfter).toBeGreaterThanOrEqual(t);
        expect(statedMs(refusalProblem(r, wait, now, null).detail!, now)).toBeGreaterThanOrEqual(now + retryAfter * 1000);
      }
    }
  });

  it("a minute refusal is not jittered: Retry-After is t and the words say the same seconds", () => {
    const r = result({ decision: "throttle", cost: 1, used: { minute: 60, day: 60 }, refusing: ["minute"], resets: { minute: NOW + 24_000 } });
    const wait = refusalWait(r, NOW, () => 0.99)!;
    const headers = rateLimitHeaders(r, NOW, PERIOD_SECONDS, wait);
    expect(headers).toMatchObject({ ratelimit: '"minute";r=0;t=24', "retry-after": "24" });
    expect(refusalProblem(r, wait, NOW, null).detail).toBe("You made 60 calls in the last minute; the Starter plan allows 60 per minute. Calls are accepted again in 24 seconds (23:40:24 UTC).");
  });

  it("a cost above the cap never fits: no Retry-After, no promised time, the window's count and cap as they are", () => {
    const r = result({ decision: "throttle", cost: 1001, used: { minute: 79, day: 79 }, refusing: ["minute"] });
    const wait = refusalWait(r, NOW)!;
    expect(wait.retryAfterSeconds).toBeNull();
    const headers = rateLimitHeaders(r, NOW, PERIOD_SECONDS, wait);
    expect(headers["retry-after"]).toBeUndefined();
    expect(headers["ratelimit"]).toBe('"minute";r=0;t=60');
    const problem = refusalProblem(r, wait, NOW, null);
    expect(problem).toMatchObject({ window: "minute", limit: 60, used: 79, "violated-policies": ["minute"] });
    expect(problem.detail).toBe(
      "This call costs 1,001 calls; you have made 79 calls in the last minute and the Starter plan allows 60 per minute. " +
        "A call that costs more than 60 never fits the Starter plan's per-minute cap: send it as smaller calls, or choose a plan with a higher cap.",
    );
  });

  it("refused by two windows, the words are about the one the cost never fits, whatever their resets", () => {
    // Fits the day later today (1,000 per day) but never the minute (60).
    const r = result({ decision: "throttle", cost: 61, used: { minute: 0, day: 990 }, refusing: ["minute", "day"], resets: { minute: NOW + 60_000 } });
    const wait = refusalWait(r, NOW)!;
    expect(wait).toMatchObject({ window: "minute", retryAfterSeconds: null });
    expect(refusalProblem(r, wait, NOW, null)["violated-policies"]).toEqual(["minute", "day"]);
  });

  it("a ceiling refusal: the key's count before the call, its cost, and the same wait in t, Retry-After and the words", () => {
    const r = result({ decision: "ceiling", cost: 21, used: {}, ceilingUsed: 980, ceilingResetAtMs: NOW + 24_000 });
    const wait = refusalWait(r, NOW)!;
    const headers = rateLimitHeaders(r, NOW, PERIOD_SECONDS, wait);
    expect(headers).toMatchObject({ ratelimit: '"ceiling";r=20;t=24', "retry-after": "24" });
    expect(headers["ratelimit-policy"]).toBe('"minute";q=60;w=60, "day";q=1000;w=86400, "ceiling";q=1000;w=60');
    const problem = refusalProblem(r, wait, NOW, null);
    expect(problem).toMatchObject({ type: "https://headroom.dev/problems/safety-limit", limit: 1000, used: 980, resetAt: "2026-11-25T23:40:24.000Z" });
    expect(problem.detail).toContain("This call costs 21 calls and this key made 980 calls in the last minute: 1,001 calls would exceed the safety limit of 1,000 calls per minute per key.");
    expect(problem.detail).toContain("A call of this cost is accepted again in 24 seconds (23:40:24 UTC).");
  });

  it("a served call has no wait and no Retry-After", () => {
    const r = result({ decision: "allow", cost: 1, used: { minute: 12, day: 40 }, resets: { minute: NOW + 34_000 } });
    expect(refusalWait(r, NOW)).toBeNull();
    expect(rateLimitHeaders(r, NOW, PERIOD_SECONDS, null)).toEqual({
      ratelimit: '"minute";r=48;t=34',
      "ratelimit-policy": '"minute";q=60;w=60, "day";q=1000;w=86400',
    });
  });

  it("with two meters: one policy per meter and window named <meter>-<window>, and a 429 body naming the meter, its unit and the window", () => {
    const mcp = new MeterSpecs(twoMeterCatalog).get("mcp")!;
    const r = result({ decision: "throttle", cost: 1, used: { minute: 60, day: 60 }, refusing: ["minute"], resets: { minute: NOW + 24_000 }, meter: mcp });
    const wait = refusalWait(r, NOW)!;
    expect(rateLimitHeaders(r, NOW, PERIOD_SECONDS, wait)).toEqual({
      "ratelimit-policy": '"mcp-minute";q=60;w=60, "mcp-day";q=1000;w=86400',
      ratelimit: '"mcp-minute";r=0;t=24',
      "retry-after": "24",
    });
    const problem = refusalProblem(r, wait, NOW, null);
    expect(problem).toMatchObject({ meter: "mcp", unit: "MCP tool calls", window: "minute", "violated-policies": ["mcp-minute"] });
    expect(problem.detail).toBe("You made 60 MCP tool calls in the last minute; the Starter plan allows 60 per minute. MCP tool calls are accepted again in 24 seconds (23:40:24 UTC).");
    // The default meter is named too when there are several; with one meter, the names are the windows alone (above).
    const calls = result({ decision: "allow", cost: 1, used: { minute: 12 }, resets: { minute: NOW + 34_000 }, meter: new MeterSpecs(twoMeterCatalog).default });
    expect(rateLimitHeaders(calls, NOW, PERIOD_SECONDS, null)["ratelimit"]).toBe('"calls-minute";r=48;t=34');
    // A ceiling per meter is named by its meter; a shared one is "ceiling" whatever the meter.
    const perMeter = new MeterSpecs(parseCatalog(twoMeterCatalogFile("per-meter"))).get("mcp")!;
    const ceiling = result({ decision: "ceiling", cost: 1, used: {}, ceilingUsed: 1000, ceilingResetAtMs: NOW + 5_000, meter: perMeter });
    expect(rateLimitHeaders(ceiling, NOW, PERIOD_SECONDS, refusalWait(ceiling, NOW))["ratelimit"]).toBe('"mcp-ceiling";r=0;t=5');
    const shared = result({ decision: "ceiling", cost: 1, used: {}, ceilingUsed: 1000, ceilingResetAtMs: NOW + 5_000, meter: mcp });
    expect(rateLimitHeaders(shared, NOW, PERIOD_SECONDS, refusalWait(shared, NOW))["ratelimit"]).toBe('"ceiling";r=0;t=5');
  });
});
