import { describe, expect, it } from "vitest";
import { compileSerializer } from "./serialize";
import { checkResponse, eventsResponse } from "./v1-schemas";

const serializeCheck = compileSerializer(checkResponse);
const serializeEvents = compileSerializer(eventsResponse);

const limits = [
  { window: "minute" as const, limit: 60, used: 61, remaining: 0, resetAt: "2026-11-25T14:03:00.000Z" },
  { window: "day" as const, limit: 1000, used: 999, remaining: 1, resetAt: "2026-11-26T00:00:00.000Z" },
  { window: "month" as const, limit: null, used: 12_345, remaining: null, resetAt: "2026-12-25T00:00:00.000Z" },
];

describe("answers written from their schemas", () => {
  it("write exactly what JSON.stringify writes for an allowed call (names with quotes, escapes and non-ASCII)", () => {
    for (const name of ["Acme", 'Quote "Co"', "Back\\slash\nnew line", "Zürich ✓ 🚀", "</script>"]) {
      const answer = {
        allowed: true,
        decision: "allow" as const,
        duplicate: false,
        mode: "shadow" as const,
        account: { id: "acc_1", name },
        plan: { id: "starter", name: "Starter" },
        meter: "calls",
        limits,
        upgradeUrl: null,
        problem: undefined,
      };
      expect(serializeCheck(answer)).toBe(JSON.stringify(answer));
      expect(JSON.parse(serializeCheck(answer))).toEqual(JSON.parse(JSON.stringify(answer)));
    }
  });

  it("write a refusal with its embedded problem and every extension member", () => {
    const answer = {
      allowed: false,
      decision: "throttle" as const,
      duplicate: true,
      mode: "enforce" as const,
      account: { id: "acc_2", name: "Acme" },
      plan: { id: "starter", name: "Starter" },
      meter: "calls",
      limits,
      upgradeUrl: "https://portal.example/plans/change?to=pro",
      problem: {
        type: "https://headroom.dev/problems/quota-exceeded",
        title: "Plan cap reached",
        status: 429,
        detail: "You made 61 calls in the last minute; the Starter plan allows 60 per minute.",
        instance: "req-1",
        window: "minute",
        limit: 60,
        used: 61,
        resetAt: "2026-11-25T14:03:00.000Z",
        plan: "starter",
        upgradeUrl: null,
        "violated-policies": ["minute"],
      },
    };
    expect(JSON.parse(serializeCheck(answer))).toEqual(answer);
  });

  it("write the events answer with its rejects", () => {
    const answer = { accepted: 2, duplicates: 1, rejected: 2, rejects: [{ index: 3, id: 'id "x"', reason: "too_late" as const }, { index: 4, id: "y", reason: "unknown_key" as const }] };
    expect(serializeEvents(answer)).toBe(JSON.stringify(answer));
  });

  it("leave out fields the schema does not name", () => {
    const answer = { accepted: 1, duplicates: 0, rejected: 0, rejects: [], secret: "no" };
    expect(JSON.parse(serializeEvents(answer))).toEqual({ accepted: 1, duplicates: 0, rejected: 0, rejects: [] });
  });
});
