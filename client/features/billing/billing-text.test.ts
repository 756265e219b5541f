import { describe, expect, it } from "vitest";
import { describeBillingError } from "./billing-errors";
import { billingSpan, capsText, localExpiresAt, signedMoney } from "./billing-text";

const DAY = 86_400_000;
const utc = (s: string) => Date.parse(`${s}T00:00:00Z`);

describe("billing text", () => {
  it("shows a period [start, end) by its first and last UTC day, the year once when both share it", () => {
    expect(billingSpan(utc("2026-10-29"), utc("2026-11-29"))).toBe("29 Oct – 28 Nov 2026");
    expect(billingSpan(utc("2026-12-21"), utc("2027-01-21"))).toBe("21 Dec 2026 – 20 Jan 2027");
    expect(billingSpan(utc("2026-11-01"), utc("2026-11-01") + DAY)).toBe("1 Nov – 1 Nov 2026");
  });

  it("writes credits with a minus sign, from minor units", () => {
    expect(signedMoney(-285, "USD")).toBe("−$2.85");
    expect(signedMoney(1957, "USD")).toBe("$19.57");
    expect(signedMoney(-500, "JPY")).toBe("−¥500");
  });

  it("lists caps in window order; none at all says so", () => {
    expect(capsText({ minute: 300, day: 5_000 })).toBe("300 per minute · 5,000 per day (UTC)");
    expect(capsText({ month: 10_000, minute: 600 })).toBe("600 per minute · 10,000 per billing month");
    expect(capsText({}, true)).toBe("No caps: every call is metered");
  });

  it("counts a quote's lifetime from when this browser asked, a second early, whatever the clocks say", () => {
    const serverNow = 1_800_000_000_500;
    const quote = { prorationAtMs: Math.floor(serverNow / 1000) * 1000, expiresAtMs: serverNow + 15 * 60_000 };
    // This browser's clock is 20 minutes ahead of the server's.
    const askedAt = serverNow + 20 * 60_000;
    const local = localExpiresAt(quote, askedAt);
    expect(local).toBeGreaterThan(askedAt + 14 * 60_000);
    expect(local).toBeLessThan(askedAt + 15 * 60_000);
    // The same quote answered again 6 minutes later: what it has left then, not 15 minutes.
    const reloadedAt = askedAt + 6 * 60_000;
    expect(localExpiresAt({ ...quote, expiresInMs: 9 * 60_000 }, reloadedAt)).toBe(reloadedAt + 9 * 60_000 - 1_000);
  });
});

describe("billing errors", () => {
  it("a stale, changed or tampered quote: the server's words, and preview again", () => {
    const expired = describeBillingError({ message: "This price preview has expired. Preview the change again to see the current price.", data: { code: "PRECONDITION_FAILED" } }, "confirm");
    expect(expired).toEqual({ message: "This price preview has expired. Preview the change again to see the current price.", action: "preview_again" });
    expect(describeBillingError({ message: "The amounts you accepted are not the ones quoted.", data: { code: "CONFLICT" } }, "confirm").action).toBe("preview_again");
  });

  it("no answer at all: try again, and for a confirmation say that it cannot charge twice", () => {
    const offline = describeBillingError(new TypeError("Failed to fetch"), "confirm");
    expect(offline.action).toBe("retry");
    expect(offline.message).toContain("never charged twice");
    expect(describeBillingError(new TypeError("Failed to fetch"), "preview").message).not.toContain("charged");
  });

  it("a change that is not possible is said as the server says it, with nothing to retry", () => {
    expect(describeBillingError({ message: "You are already on the Starter plan.", data: { code: "BAD_REQUEST" } }, "preview")).toEqual({ message: "You are already on the Starter plan.", action: null });
  });
});
