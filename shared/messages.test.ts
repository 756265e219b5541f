import { describe, expect, it } from "vitest";
import { composeNotice, describeCapRefusal, describeCeilingRefusal, describeUsageAgainstCap, formatComingDateTimeUtc, formatDateTimeUtc, formatResetUtc, formatRetryUtc } from "./messages";

const now = Date.parse("2026-11-25T14:02:31Z");

describe("messages", () => {
  it("states usage, cap and when calls are accepted again, with the numbers", () => {
    expect(describeCapRefusal({ window: "minute", used: 268, limit: 60, cost: 1, waitSeconds: 29 }, "Starter", now)).toBe(
      "You made 268 calls in the last minute; the Starter plan allows 60 per minute. Calls are accepted again in 29 seconds (14:03:00 UTC).",
    );
    expect(describeCapRefusal({ window: "day", used: 4016, limit: 1000, cost: 1, waitSeconds: 35_849 }, "Starter", now)).toBe(
      "You made 4,016 calls today (UTC); the Starter plan allows 1,000 per day. Calls are accepted again at 26 Nov 2026, 00:00 UTC.",
    );
    expect(describeUsageAgainstCap({ window: "month", used: 5, limit: null }, "Enterprise")).toContain("has no cap");
  });

  it("says the safety ceiling is not the plan", () => {
    const text = describeCeilingRefusal({ used: 1000, limit: 1000, cost: 1, waitSeconds: 29 }, now);
    expect(text).toBe(
      "This key made 1,000 calls in the last minute; one more would exceed the safety limit of 1,000 calls per minute per key. " +
        "This is a safety limit that protects the service, not your plan's cap, and upgrading does not change it. Calls are accepted again in 29 seconds (14:03:00 UTC).",
    );
  });

  it("formats resets later than today with the date", () => {
    expect(formatResetUtc(Date.parse("2026-12-15T00:00:00Z"), now)).toBe("15 Dec 2026, 00:00 UTC");
  });
});

describe("a refusal's numbers are exactly true", () => {
  it("a ceiling refusal says the usage plus the call's cost would exceed the limit, not that the usage is above it", () => {
    const text = describeCeilingRefusal({ used: 980, limit: 1000, cost: 21, waitSeconds: 24 }, now);
    expect(text).toBe(
      "This call costs 21 calls and this key made 980 calls in the last minute: 1,001 calls would exceed the safety limit of 1,000 calls per minute per key. " +
        "This is a safety limit that protects the service, not your plan's cap, and upgrading does not change it. A call of this cost is accepted again in 24 seconds (14:02:55 UTC).",
    );
    expect(text).not.toContain("above");
  });

  it("a call costing more than the ceiling is never accepted, and no time is promised", () => {
    const text = describeCeilingRefusal({ used: 3, limit: 1000, cost: 1500, waitSeconds: null }, now);
    expect(text).toBe(
      "This call costs 1,500 calls, more than the safety limit of 1,000 calls per minute per key: a call of this cost is never accepted; send it as smaller calls. " +
        "This is a safety limit that protects the service, not your plan's cap, and upgrading does not change it.",
    );
  });

  it("a cap refusal of a call costing more than one states its cost beside the window's count", () => {
    expect(describeCapRefusal({ window: "minute", used: 50, limit: 60, cost: 20, waitSeconds: 30 }, "Starter", now)).toBe(
      "This call costs 20 calls; you have made 50 calls in the last minute and the Starter plan allows 60 per minute. With this call, 70 calls would exceed the cap. " +
        "A call of this cost is accepted again in 30 seconds (14:03:01 UTC).",
    );
  });

  it("a cost above a window's cap never fits it: said plainly, with no promise about the reset", () => {
    const text = describeCapRefusal({ window: "minute", used: 79, limit: 60, cost: 1001, waitSeconds: null }, "Starter", now);
    expect(text).toBe(
      "This call costs 1,001 calls; you have made 79 calls in the last minute and the Starter plan allows 60 per minute. " +
        "A call that costs more than 60 never fits the Starter plan's per-minute cap: send it as smaller calls, or choose a plan with a higher cap.",
    );
    expect(text).not.toMatch(/accepted again|UTC/);
  });

  it("says when a refused call may come back never earlier than now + Retry-After: to the second for short waits", () => {
    expect(formatRetryUtc(24, now)).toBe("in 24 seconds (14:02:55 UTC)");
    expect(formatRetryUtc(1, now)).toBe("in 1 second (14:02:32 UTC)");
    // Sub-second: now + 24 s is 14:02:55.4, so the time shown is the next whole second.
    expect(formatRetryUtc(24, now + 400)).toBe("in 24 seconds (14:02:56 UTC)");
    // A long wait with jitter (the day resets at 00:00, Retry-After lands 37 s later): the minute after.
    expect(formatRetryUtc(Date.parse("2026-11-26T00:00:37Z") / 1000 - now / 1000, now)).toBe("at 26 Nov 2026, 00:01 UTC");
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
