import { describe, expect, it } from "vitest";
import { composeNotice, describeCapRefusal, describeCeilingRefusal, describeUsageAgainstCap, formatComingDateTimeUtc, formatDateTimeUtc, formatResetUtc } from "./messages";

const now = Date.parse("2026-11-25T14:02:31Z");

describe("messages", () => {
  it("states usage, cap and reset with the numbers", () => {
    expect(describeCapRefusal({ window: "minute", used: 268, limit: 60, resetAtMs: Date.parse("2026-11-25T14:03:00Z") }, "Starter", now)).toBe(
      "You made 268 calls in the last minute; the Starter plan allows 60 per minute. Calls are accepted again at 14:03 UTC.",
    );
    expect(describeCapRefusal({ window: "day", used: 4016, limit: 1000, resetAtMs: Date.parse("2026-11-26T00:00:00Z") }, "Starter", now)).toBe(
      "You made 4,016 calls today (UTC); the Starter plan allows 1,000 per day. Calls are accepted again at 26 Nov 2026, 00:00 UTC.",
    );
    expect(describeUsageAgainstCap({ window: "month", used: 5, limit: null }, "Enterprise")).toContain("has no cap");
  });

  it("says the safety ceiling is not the plan", () => {
    const text = describeCeilingRefusal({ used: 1000, ceiling: 1000, resetAtMs: now + 29_000 }, now);
    expect(text).toContain("safety limit");
    expect(text).toContain("not your plan's cap");
    expect(text).toContain("14:03 UTC");
  });

  it("formats resets later than today with the date", () => {
    expect(formatResetUtc(Date.parse("2026-12-15T00:00:00Z"), now)).toBe("15 Dec 2026, 00:00 UTC");
  });
});

describe("moments to come are never shown earlier than they are", () => {
  it("rounds a reset up to the minute", () => {
    expect(formatResetUtc(Date.parse("2026-11-25T14:03:24Z"), now)).toBe("14:04 UTC");
    expect(formatResetUtc(Date.parse("2026-11-25T14:03:00Z"), now)).toBe("14:03 UTC");
    expect(formatResetUtc(Date.parse("2026-11-25T23:59:01Z"), now)).toBe("26 Nov 2026, 00:00 UTC");
  });

  it("never shows a coming moment earlier than it is, and a past one as a clock does", () => {
    expect(formatComingDateTimeUtc(Date.parse("2026-11-28T14:00:30Z"))).toBe("28 Nov 2026, 14:01 UTC");
    expect(formatComingDateTimeUtc(Date.parse("2026-11-28T14:00:00Z"))).toBe("28 Nov 2026, 14:00 UTC");
    expect(formatDateTimeUtc(Date.parse("2026-11-28T14:00:30Z"))).toBe("28 Nov 2026, 14:00 UTC");
  });
});

describe("composeNotice: moments to come", () => {
  const facts = {
    planName: "Starter",
    window: "minute" as const,
    limit: 60,
    used: 50,
    recommended: null,
    fitsRate: null,
  };

  it("states the moment refusals start never earlier than it is", () => {
    const m = composeNotice({ ...facts, kind: "reached", used: 60, resetAtMs: null, mode: "enforce", refusalsFromMs: Date.parse("2026-11-28T14:00:30Z") });
    expect(m.next).toBe("From 28 Nov 2026, 14:01 UTC, calls over 60 calls per minute are refused with an error (HTTP 429) until the window resets.");
  });

  it("states when the window resets never earlier than it does", () => {
    const m = composeNotice({ ...facts, kind: "approaching", resetAtMs: Date.parse("2026-11-25T14:03:24Z"), mode: "shadow", refusalsFromMs: null });
    expect(m.next).toMatch(/^This window resets 25 Nov 2026, 14:04 UTC\. /);
  });
});

describe("composeNotice", () => {
  it("says a sustained notice's figure is the week's peak, not the last minute", async () => {
    const { composeNotice } = await import("./messages");
    const m = composeNotice({
      kind: "sustained",
      planName: "Starter",
      window: "minute",
      limit: 60,
      used: 268,
      resetAtMs: null,
      mode: "shadow",
      refusalsFromMs: null,
      daysOver: 6,
      recommended: { planId: "business", name: "Business", price: "$199.00/month" },
      fitsRate: "60 calls per minute",
    });
    expect(m.happened).toBe("You went over your per-minute cap on 6 of the last 7 days, with up to 268 calls in a minute; the Starter plan allows 60 per minute.");
    expect(m.next).toContain("Nothing changes yet");
    expect(m.choices.map((c) => c.kind)).toEqual(["upgrade", "reduce", "contact"]);
  });
});
