import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, rowsOf } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgDemo from "../pg/queries/demo";
import * as liteDemo from "../sqlite/queries/demo";
import type { DemoDay, DemoSeed } from "./demo";

const D0 = Date.parse("2026-11-01T00:00:00Z");
const DAY = 86_400_000;
const MINUTE = 60_000;

/** `days` days of traffic on the keys, every `step` minutes, generated as they are read (as the demo's are). */
function* traffic(keyIds: string[], days: number, step: number): Generator<DemoDay> {
  for (let d = 0; d < days; d++) {
    const dayMs = D0 + d * DAY;
    const minutes: DemoDay["minutes"] = [];
    for (let m = 0; m < 1440; m += step) {
      keyIds.forEach((keyId, k) => minutes.push({ minuteMs: dayMs + m * MINUTE, keyId, allowed: (m + k + d) % 7, wouldThrottle: (m + k) % 3 === 0 ? 1 : 0 }));
    }
    const perMinute = new Map<number, number>();
    for (const x of minutes) perMinute.set(x.minuteMs, (perMinute.get(x.minuteMs) ?? 0) + x.allowed + x.wouldThrottle);
    yield {
      dayMs,
      allowed: minutes.reduce((s, x) => s + x.allowed, 0),
      wouldThrottle: minutes.reduce((s, x) => s + x.wouldThrottle, 0),
      peakMinute: Math.max(...perMinute.values()),
      minutes,
    };
  }
}

const key = (id: string, accountId: string) => ({ id, accountId, name: id, prefix: "hr_live_abcd", hash: `hash-${id}`, createdAtMs: D0 });

function seeds(): DemoSeed[] {
  return [
    { account: accountRow("acc_demo_1", { name: "Acme", createdAtMs: D0, billingAnchorMs: D0 }), keys: [key("key_1a", "acc_demo_1"), key("key_1b", "acc_demo_1"), key("key_1idle", "acc_demo_1")], days: { [Symbol.iterator]: () => traffic(["key_1a", "key_1b"], 3, 5) } },
    { account: accountRow("acc_demo_2", { name: "Brightline", planId: "pro", createdAtMs: D0, billingAnchorMs: D0 }), keys: [key("key_2a", "acc_demo_2")], days: { [Symbol.iterator]: () => traffic(["key_2a"], 2, 1) } },
  ];
}

describe.each(DIALECTS)("demo seed ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteDemo>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteDemo, pgDemo);
  });
  afterAll(() => database.close());
  beforeEach(() => database.reset());

  it("writes accounts, keys, minute and day rollups, and each key's last use, into an empty database", async () => {
    // 3 days × 288 minutes × 2 keys, and 2 days × 1,440 minutes: more than one statement's worth on PostgreSQL.
    const expectedMinutes = 3 * 288 * 2 + 2 * 1440;
    const result = await q.insertDemo(seeds());
    expect(result?.minuteRows).toBe(expectedMinutes);
    const stored = await rowsOf(database.store, "accounts");
    expect(result?.accounts.map((a) => a.id)).toEqual(["acc_demo_1", "acc_demo_2"]);
    expect([...result!.accounts].sort((a, b) => a.id.localeCompare(b.id))).toEqual(stored.sort((a, b) => a.id.localeCompare(b.id)));
    expect(result?.accounts[1]).toMatchObject({ name: "Brightline", planId: "pro", overageOptIn: false, grandfatheredUntilMs: null });

    const minutes = await rowsOf(database.store, "usageMinute");
    expect(minutes).toHaveLength(expectedMinutes);
    const expected = [...seeds()].flatMap((s) => [...s.days].flatMap((d) => d.minutes.map((m) => ({ ...m, accountId: s.account.id, meter: "", throttled: 0, ceiling: 0 }))));
    const byPk = (a: { minuteMs: number; keyId: string }, b: { minuteMs: number; keyId: string }) => a.minuteMs - b.minuteMs || a.keyId.localeCompare(b.keyId);
    expect(minutes.sort(byPk)).toEqual(expected.sort(byPk));

    const days = (await rowsOf(database.store, "usageDay")).sort((a, b) => a.accountId.localeCompare(b.accountId) || a.dayMs - b.dayMs);
    expect(days.map((d) => [d.accountId, d.dayMs])).toEqual([
      ["acc_demo_1", D0],
      ["acc_demo_1", D0 + DAY],
      ["acc_demo_1", D0 + 2 * DAY],
      ["acc_demo_2", D0],
      ["acc_demo_2", D0 + DAY],
    ]);
    const firstDay = traffic(["key_1a", "key_1b"], 1, 5).next().value as DemoDay;
    expect(days[0]).toEqual({ dayMs: D0, accountId: "acc_demo_1", meter: "", allowed: firstDay.allowed, wouldThrottle: firstDay.wouldThrottle, throttled: 0, ceiling: 0, peakMinute: firstDay.peakMinute });

    const lastUsed = Object.fromEntries((await rowsOf(database.store, "apiKeys")).map((k) => [k.id, k.lastUsedAtMs]));
    expect(lastUsed).toEqual({ key_1a: D0 + 2 * DAY + 1435 * MINUTE, key_1b: D0 + 2 * DAY + 1435 * MINUTE, key_1idle: null, key_2a: D0 + DAY + 1439 * MINUTE });
  });

  it("writes nothing into a database that has an account", async () => {
    await insertRows(database.store, "accounts", [accountRow("acc_someone")]);
    expect(await q.insertDemo(seeds())).toBeNull();
    expect(await rowsOf(database.store, "accounts")).toHaveLength(1);
    expect(await rowsOf(database.store, "usageMinute")).toHaveLength(0);
    expect(await rowsOf(database.store, "apiKeys")).toHaveLength(0);
  });

  it("of two seeds at once, one writes and the other finds the database taken", async () => {
    const results = await Promise.all([q.insertDemo(seeds()), q.insertDemo(seeds())]);
    expect(results.filter((r) => r === null)).toHaveLength(1);
    expect(await rowsOf(database.store, "accounts")).toHaveLength(2);
    expect(await rowsOf(database.store, "usageDay")).toHaveLength(5);
  });
});
