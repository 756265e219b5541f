import { describe, expect, it } from "vitest";
import { formatComingDateTimeUtc, formatDateTimeUtc, formatDateUtc } from "../../shared/messages";
import { DAY_MS } from "../../shared/limits";
import { formatClock, formatDate, formatDateTime, formatDayLong, formatDayShort, formatShortDateTime, formatTime, formatWeekdayTime, isoDay, lastDaysStartMs } from "./format";

const at = (iso: string) => Date.parse(iso);

describe("the client's one date and time formatter (UTC, 24-hour)", () => {
  it("names UTC and uses a 24-hour clock", () => {
    expect(formatDateTime(at("2026-11-28T14:05:59Z"))).toBe("28 Nov 2026, 14:05 UTC");
    expect(formatDateTime(at("2026-11-28T00:00:00Z"))).toBe("28 Nov 2026, 00:00 UTC");
    expect(formatDateTime(at("2026-11-28T23:59:00Z"))).toBe("28 Nov 2026, 23:59 UTC");
    expect(formatTime(at("2026-11-28T09:07:00Z"))).toBe("09:07 UTC");
    expect(formatClock(at("2026-11-28T21:30:00Z"))).toBe("21:30");
    expect(formatWeekdayTime(at("2026-11-28T21:30:00Z"))).toBe("Sat 21:30 UTC");
    expect(formatShortDateTime(at("2026-11-28T21:30:00Z"))).toBe("28 Nov, 21:30 UTC");
  });

  it("takes the UTC day, not the browser's", () => {
    // 23:30 UTC on the 28th is already the 29th east of Greenwich: the client still says the 28th.
    expect(formatDate(at("2026-11-28T23:30:00Z"))).toBe("28 Nov 2026");
    expect(formatDayShort(at("2026-11-28T23:30:00Z"))).toBe("28 Nov");
    expect(formatDayLong(at("2026-11-28T23:30:00Z"))).toBe("Saturday 28 Nov");
    expect(isoDay(at("2026-11-28T23:30:00Z"))).toBe("2026-11-28");
  });

  it("rounds a moment still to come up to the minute, a past one down", () => {
    expect(formatDateTime(at("2026-11-28T14:05:01Z"))).toBe("28 Nov 2026, 14:05 UTC");
    expect(formatDateTime(at("2026-11-28T14:05:01Z"), { upcoming: true })).toBe("28 Nov 2026, 14:06 UTC");
    expect(formatDateTime(at("2026-11-28T14:05:00Z"), { upcoming: true })).toBe("28 Nov 2026, 14:05 UTC");
    expect(formatTime(at("2026-11-28T23:59:30Z"), { upcoming: true })).toBe("00:00 UTC");
  });

  it("writes exactly what the server's notices and e-mails write", () => {
    // A month of moments at odd hours and minutes, across a year boundary.
    for (let ms = at("2026-12-20T00:00:00Z"); ms < at("2027-01-20T00:00:00Z"); ms += 7 * 3_600_000 + 13 * 60_000 + 17_000) {
      expect(formatDateTime(ms)).toBe(formatDateTimeUtc(ms));
      expect(formatDateTime(ms, { upcoming: true })).toBe(formatComingDateTimeUtc(ms));
      expect(formatDate(ms)).toBe(formatDateUtc(ms));
    }
  });
});

describe("lastDaysStartMs: a range of N days covers N UTC days, today included", () => {
  it("7 days is today and the 6 before", () => {
    const now = at("2026-12-02T14:15:00Z");
    const from = lastDaysStartMs(now, 7);
    expect(from).toBe(at("2026-11-26T00:00:00Z"));
    const dayStarts = new Set<number>();
    for (let t = from; t <= now; t += 3_600_000) dayStarts.add(Math.floor(t / DAY_MS));
    expect(dayStarts.size).toBe(7);
  });

  it("1 day is today", () => {
    expect(lastDaysStartMs(at("2026-12-02T00:00:00Z"), 1)).toBe(at("2026-12-02T00:00:00Z"));
    expect(lastDaysStartMs(at("2026-12-02T23:59:59Z"), 1)).toBe(at("2026-12-02T00:00:00Z"));
  });
});
