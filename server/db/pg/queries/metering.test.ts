import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seededRandom } from "../../../../shared/experiment/stats";
import { ManualClock } from "../../../lib/clock";
import { DIALECTS, type DialectStore, type OpenDialect } from "../../../testing/pg-dialects";
import { meteringQueries, type DecisionName, type LimitEventCount, type MinuteCounts, type UsageBatch } from "../../queries/metering";
import { persistedUsage, type MeterColumn } from "../../queries/usage";
import * as lite from "../../schema";
import * as pgSchema from "../schema";
import { pgMeteringQueries, type PgMeteringQueries } from "./metering";

const T0 = Date.parse("2026-11-25T14:00:00Z");
const DAY0 = Date.parse("2026-11-25T00:00:00Z");
const MIN = 60_000;
/** The catalog's default meter reads its own rows and those written before meters were counted apart (''). */
const CALLS: MeterColumn = ["calls", ""];
const TOKENS: MeterColumn = ["tokens", "tokens"];

/** The meter's queries on either dialect, as promises (the SQLite ones answer at once and have no batch ids). */
function meteringFor(store: DialectStore, clock: ManualClock): PgMeteringQueries {
  if (store.dialect === "pg") return pgMeteringQueries(store.db, clock);
  const q = meteringQueries(store.db.$client);
  return {
    keyByHash: async (hash) => q.keyByHash(hash),
    termsRow: async (accountId) => q.termsRow(accountId),
    deliveredNotices: async (accountId, sinceMs) => q.deliveredNotices(accountId, sinceMs),
    planMode: async (planId) => q.planMode(planId),
    seenDecision: async (accountId, meter, id) => q.seenDecision(accountId, meter, id),
    storedIds: async (accountId, meter, ids) => q.storedIds(accountId, meter, ids),
    writeBatch: async (batch) => q.writeBatch(batch),
    pruneIds: async (beforeMs) => q.pruneIds(beforeMs),
    persisted: async (accountId, meter, anchor, nowMs, planStartedAtMs, quotaWindow) => persistedUsage(store.db.$client)(accountId, meter, anchor, nowMs, planStartedAtMs, quotaWindow),
  };
}

const ACCOUNTS = [
  { id: "acc_a", name: "Acme", email: "ops@acme.test", planId: "business", billingAnchorMs: T0 - 10 * 86_400_000, createdAtMs: T0 - 20 * 86_400_000 },
  {
    id: "acc_b",
    name: "Bolt",
    email: "ops@bolt.test",
    planId: "enterprise",
    planVersion: 3,
    billingAnchorMs: T0 - 86_400_000,
    billingInterval: "year" as const,
    planStartedAtMs: T0 - 3_600_000,
    enforcementOverride: "shadow" as const,
    capOverridesJson: '{"day":500}',
    grandfatheredUntilMs: T0 + 86_400_000,
    overageOptIn: true,
    createdAtMs: T0 - 5 * 86_400_000,
  },
];
const KEYS = [
  { id: "key_a1", accountId: "acc_a", name: "one", prefix: "hr_a1", hash: "hash-a1", createdAtMs: T0 - 86_400_000 },
  { id: "key_a2", accountId: "acc_a", name: "two", prefix: "hr_a2", hash: "hash-a2", createdAtMs: T0 - 86_400_000, lastUsedAtMs: T0 + 50 * MIN },
  { id: "key_b1", accountId: "acc_b", name: "one", prefix: "hr_b1", hash: "hash-b1", createdAtMs: T0 - 86_400_000, revokedAtMs: T0 - 1_000 },
];
const notice = (id: string, kind: string, window: string | null, meter: string, deliveredAtMs: number | null) => ({
  id,
  accountId: "acc_a",
  kind,
  window,
  meter,
  periodStartMs: DAY0,
  dedupeKey: `dedupe-${id}`,
  createdAtMs: T0 - 7_200_000,
  deliveredAtMs,
});
const NOTICES = [
  notice("n1", "reached", "day", "", T0 - 3_000),
  notice("n2", "sustained", "day", "", T0 - 5_000),
  notice("n3", "reached", null, "", T0 - 4_000),
  notice("n4", "enforcement_scheduled", "month", "", T0 - 1_000),
  notice("n5", "reached", "minute", "tokens", T0 - 2_000),
  // Not a grace notice, not delivered, delivered before the window asked about: none of these count.
  notice("n6", "approaching", "day", "", T0 - 9_000),
  notice("n7", "reached", "month", "tokens", null),
  notice("n8", "reached", "minute", "", T0 - 100_000),
];

/** The same accounts, keys, notices and plan settings on either dialect. */
async function seed(store: DialectStore): Promise<void> {
  if (store.dialect === "sqlite") {
    store.db.insert(lite.accounts).values(ACCOUNTS).run();
    store.db.insert(lite.apiKeys).values(KEYS).run();
    store.db.insert(lite.notices).values(NOTICES).run();
    store.db.insert(lite.planSettings).values({ planId: "business", enforcement: "shadow", updatedAtMs: T0, updatedBy: "op" }).run();
  } else {
    await store.db.insert(pgSchema.accounts).values(ACCOUNTS);
    await store.db.insert(pgSchema.apiKeys).values(KEYS);
    await store.db.insert(pgSchema.notices).values(NOTICES);
    await store.db.insert(pgSchema.planSettings).values({ planId: "business", enforcement: "shadow", updatedAtMs: T0, updatedBy: "op" });
  }
}

/** A minute row written before meters were counted apart ('' = the default meter). */
async function legacyMinute(store: DialectStore, row: { minuteMs: number; keyId: string; accountId: string; allowed: number }): Promise<void> {
  const values = { ...row, meter: "", wouldThrottle: 0, throttled: 0, ceiling: 0 };
  if (store.dialect === "sqlite") store.db.insert(lite.usageMinute).values(values).run();
  else await store.db.insert(pgSchema.usageMinute).values(values);
}

const byJson = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Everything a flush writes, in a stable order. */
async function written(store: DialectStore) {
  if (store.dialect === "sqlite") {
    const d = store.db;
    return {
      usageMinute: byJson(d.select().from(lite.usageMinute).all()),
      usageDay: byJson(d.select().from(lite.usageDay).all()),
      limitEvents: byJson(d.select().from(lite.limitEvents).all()),
      meteredIds: byJson(d.select().from(lite.meteredIds).all()),
      keysUsed: byJson(d.select({ id: lite.apiKeys.id, lastUsedAtMs: lite.apiKeys.lastUsedAtMs }).from(lite.apiKeys).all()),
    };
  }
  const d = store.db;
  return {
    usageMinute: byJson(await d.select().from(pgSchema.usageMinute)),
    usageDay: byJson(await d.select().from(pgSchema.usageDay)),
    limitEvents: byJson(await d.select().from(pgSchema.limitEvents)),
    meteredIds: byJson(await d.select().from(pgSchema.meteredIds)),
    keysUsed: byJson(await d.select({ id: pgSchema.apiKeys.id, lastUsedAtMs: pgSchema.apiKeys.lastUsedAtMs }).from(pgSchema.apiKeys)),
  };
}

const minute = (minuteMs: number, keyId: string, accountId: string, meter: MeterColumn, allowed: number, wouldThrottle = 0, throttled = 0, ceiling = 0): MinuteCounts => ({
  minuteMs,
  keyId,
  accountId,
  meter,
  allowed,
  wouldThrottle,
  throttled,
  ceiling,
});

/** A batch as the meter hands it over: single-use iterators, so each write gets a fresh one. */
function batchOf(b: { minutes?: MinuteCounts[]; limitEvents?: LimitEventCount[]; ids?: Array<[string, string, Array<[string, DecisionName, number]>]>; keysUsed?: Array<[string, number]> }): () => UsageBatch {
  return () => ({
    minutes: (b.minutes ?? []).map((m) => ({ ...m }))[Symbol.iterator](),
    limitEvents: (b.limitEvents ?? []).map((e) => ({ ...e }))[Symbol.iterator](),
    idChunks: (b.ids ?? [])[Symbol.iterator](),
    keysUsed: (b.keysUsed ?? [])[Symbol.iterator](),
  });
}

const M = T0 + 5 * MIN;
/** Two flushes of one busy minute: keys of one account, two meters, a duplicate row, ids seen again, a key used earlier than stored. */
const FIRST = batchOf({
  minutes: [
    minute(M, "key_a1", "acc_a", CALLS, 5, 2, 1, 0),
    minute(M, "key_a1", "acc_a", CALLS, 1),
    minute(M + MIN, "key_a1", "acc_a", CALLS, 8),
    minute(M, "key_a1", "acc_a", TOKENS, 300, 0, 40),
    minute(M, "key_b1", "acc_b", CALLS, 0, 0, 7, 2),
  ],
  limitEvents: [
    { minuteMs: M, accountId: "acc_a", meter: "calls", window: "day", decision: "would_throttle", count: 2 },
    { minuteMs: M, accountId: "acc_a", meter: "tokens", window: "minute", decision: "throttle", count: 40 },
    { minuteMs: M, accountId: "acc_b", meter: "calls", window: "minute", decision: "ceiling", count: 2 },
  ],
  ids: [
    // An id twice in one batch keeps its first decision.
    ["acc_a", "calls", [["e1", "allow", M + 1], ["e2", "would_throttle", M + 2], ["e1", "ceiling", M + 9]]],
    ["acc_a", "tokens", [["t1", "throttle", M + 3]]],
  ],
  keysUsed: [["key_a1", M + MIN + 10], ["key_b1", M + 5]],
});
const SECOND = batchOf({
  minutes: [
    minute(M, "key_a2", "acc_a", CALLS, 4),
    // The last minute of the day and the first of the next: two day rows.
    minute(DAY0 + 86_400_000 - MIN, "key_a2", "acc_a", CALLS, 6),
    minute(DAY0 + 86_400_000, "key_a2", "acc_a", CALLS, 9),
  ],
  limitEvents: [{ minuteMs: M, accountId: "acc_a", meter: "calls", window: "day", decision: "would_throttle", count: 3 }],
  ids: [["acc_a", "calls", [["e1", "throttle", M + 50], ["e3", "allow", M + 51]]]],
  // Older than what key_a2 has: last use never goes back.
  keysUsed: [["key_a2", M], ["key_a1", M + 20]],
});

describe.each(DIALECTS)("the meter's lookups ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: PgMeteringQueries;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await seed(database.store);
    clock.set(T0);
    q = meteringFor(database.store, clock);
  });

  it("a key by its hash: live, revoked, unknown", async () => {
    expect(await q.keyByHash("hash-a1")).toEqual({ id: "key_a1", accountId: "acc_a", revokedAtMs: null });
    expect(await q.keyByHash("hash-b1")).toEqual({ id: "key_b1", accountId: "acc_b", revokedAtMs: T0 - 1_000 });
    expect(await q.keyByHash("hash-none")).toBeUndefined();
  });

  it("an account's terms as stored, the opt-in as 0 or 1", async () => {
    expect(await q.termsRow("acc_a")).toEqual({
      id: "acc_a",
      name: "Acme",
      planId: "business",
      planVersion: 1,
      billingAnchorMs: T0 - 10 * 86_400_000,
      billingInterval: "month",
      planStartedAtMs: null,
      enforcementOverride: null,
      capOverridesJson: null,
      grandfatheredUntilMs: null,
      overageOptIn: 0,
    });
    expect(await q.termsRow("acc_b")).toEqual({
      id: "acc_b",
      name: "Bolt",
      planId: "enterprise",
      planVersion: 3,
      billingAnchorMs: T0 - 86_400_000,
      billingInterval: "year",
      planStartedAtMs: T0 - 3_600_000,
      enforcementOverride: "shadow",
      capOverridesJson: '{"day":500}',
      grandfatheredUntilMs: T0 + 86_400_000,
      overageOptIn: 1,
    });
    expect(await q.termsRow("acc_none")).toBeUndefined();
  });

  it("the first delivered grace notice of each meter and window since a moment", async () => {
    expect(await q.deliveredNotices("acc_a", T0 - 10_000)).toEqual([
      { meter: "", window: null, at: T0 - 4_000 },
      { meter: "", window: "day", at: T0 - 5_000 },
      { meter: "", window: "month", at: T0 - 1_000 },
      { meter: "tokens", window: "minute", at: T0 - 2_000 },
    ]);
    // From a later moment the earlier deliveries are not counted.
    expect(await q.deliveredNotices("acc_a", T0 - 3_000)).toEqual([
      { meter: "", window: "day", at: T0 - 3_000 },
      { meter: "", window: "month", at: T0 - 1_000 },
      { meter: "tokens", window: "minute", at: T0 - 2_000 },
    ]);
    expect(await q.deliveredNotices("acc_b", 0)).toEqual([]);
  });

  it("a plan's enforcement mode, when the operator set one", async () => {
    expect(await q.planMode("business")).toBe("shadow");
    expect(await q.planMode("enterprise")).toBeUndefined();
  });

  it("seen ids: the first decision, per account and meter, the default meter's legacy ids included", async () => {
    await q.writeBatch(FIRST(), "lookup-1");
    await q.writeBatch(SECOND(), "lookup-2");
    await q.writeBatch(batchOf({ ids: [["acc_b", "", [["old", "ceiling", M]]]] })(), "lookup-3");
    expect(await q.seenDecision("acc_a", CALLS, "e1")).toBe("allow");
    expect(await q.seenDecision("acc_a", CALLS, "e2")).toBe("would_throttle");
    expect(await q.seenDecision("acc_a", TOKENS, "t1")).toBe("throttle");
    expect(await q.seenDecision("acc_a", TOKENS, "e1")).toBeNull();
    expect(await q.seenDecision("acc_a", CALLS, "t1")).toBeNull();
    expect(await q.seenDecision("acc_b", CALLS, "old")).toBe("ceiling");
    expect(await q.seenDecision("acc_b", TOKENS, "old")).toBeNull();
    expect(await q.seenDecision("acc_b", CALLS, "e1")).toBeNull();

    expect(await q.storedIds("acc_a", CALLS, ["e1", "e2", "e3", "e4", "t1"])).toEqual(new Set(["e1", "e2", "e3"]));
    expect(await q.storedIds("acc_a", TOKENS, ["e1", "t1"])).toEqual(new Set(["t1"]));
    expect(await q.storedIds("acc_b", CALLS, ["old"])).toEqual(new Set(["old"]));
    expect(await q.storedIds("acc_a", CALLS, [])).toEqual(new Set());
    // More ids than PostgreSQL takes bind parameters in one statement.
    const many = Array.from({ length: 70_000 }, (_, i) => `x${i}`);
    expect(await q.storedIds("acc_a", CALLS, [...many, "e3"])).toEqual(new Set(["e3"]));
  });

  it("prunes the ids seen before a moment and says how many", async () => {
    await q.writeBatch(FIRST(), "prune-1");
    await q.writeBatch(SECOND(), "prune-2");
    expect(await q.pruneIds(M + 3)).toBe(2);
    expect(await q.storedIds("acc_a", CALLS, ["e1", "e2", "e3"])).toEqual(new Set(["e3"]));
    expect(await q.storedIds("acc_a", TOKENS, ["t1"])).toEqual(new Set(["t1"]));
    expect(await q.pruneIds(M + 3)).toBe(0);
    expect(await q.pruneIds(M + 1_000)).toBe(2);
  });
});

describe("a flush writes the same rows on both dialects", () => {
  const opened: OpenDialect[] = [];
  const clock = new ManualClock(T0);
  let both: Array<{ store: DialectStore; q: PgMeteringQueries }>;

  beforeAll(async () => {
    for (const d of DIALECTS) opened.push(await d.open());
  });
  afterAll(() => Promise.all(opened.map((d) => d.close())));
  beforeEach(async () => {
    for (const d of opened) {
      await d.reset();
      await seed(d.store);
    }
    both = opened.map((d) => ({ store: d.store, q: meteringFor(d.store, clock) }));
  });

  it("minutes, days (the peak across two flushes of one minute), limit events, ids and keys' last use", async () => {
    for (const { store, q } of both) {
      // A minute counted before meters were counted apart belongs to the default meter's peak.
      await legacyMinute(store, { minuteMs: M, keyId: "key_a2", accountId: "acc_a", allowed: 3 });
      expect((await q.writeBatch(FIRST(), "i1-1")).sort()).toEqual(["acc_a", "acc_b"]);
      expect(await q.writeBatch(SECOND(), "i1-2")).toEqual(["acc_a"]);
    }
    const [fromLite, fromPg] = await Promise.all(both.map((b) => written(b.store)));
    expect(fromPg).toEqual(fromLite);
    // The figures themselves, so that agreeing on a wrong answer fails too.
    const day = (accountId: string, meter: string, dayMs: number) => fromPg!.usageDay.map((r) => JSON.parse(r) as typeof lite.usageDay.$inferSelect).find((r) => r.accountId === accountId && r.meter === meter && r.dayMs === dayMs);
    // Minute M on calls: key_a1 6 + 2, key_a2 4, the legacy row 3 = 15; minute M+1: 8.
    expect(day("acc_a", "calls", DAY0)).toEqual({ dayMs: DAY0, accountId: "acc_a", meter: "calls", allowed: 24, wouldThrottle: 2, throttled: 1, ceiling: 0, peakMinute: 15 });
    expect(day("acc_a", "calls", DAY0 + 86_400_000)).toMatchObject({ allowed: 9, peakMinute: 9 });
    expect(day("acc_a", "tokens", DAY0)).toMatchObject({ allowed: 300, throttled: 40, peakMinute: 300 });
    // Refused calls only: no minute with allowed or would-throttle calls, no peak.
    expect(day("acc_b", "calls", DAY0)).toMatchObject({ allowed: 0, throttled: 7, ceiling: 2, peakMinute: 0 });
    expect(fromPg!.limitEvents).toContain(JSON.stringify({ minuteMs: M, accountId: "acc_a", meter: "calls", window: "day", decision: "would_throttle", count: 5 }));
    expect(fromPg!.meteredIds).toContain(JSON.stringify({ accountId: "acc_a", meter: "calls", id: "e1", decision: "allow", seenAtMs: M + 1 }));
    expect(fromPg!.meteredIds).toHaveLength(4);
    expect(fromPg!.keysUsed).toEqual(byJson([
      { id: "key_a1", lastUsedAtMs: M + MIN + 10 },
      { id: "key_a2", lastUsedAtMs: T0 + 50 * MIN },
      { id: "key_b1", lastUsedAtMs: M + 5 },
    ]));
  });

  it("the rollups' counts of an account's windows, as the meter starts from them: the same on both", async () => {
    for (const { store, q } of both) {
      await legacyMinute(store, { minuteMs: M, keyId: "key_a2", accountId: "acc_a", allowed: 3 });
      await q.writeBatch(FIRST(), "p-1");
      await q.writeBatch(SECOND(), "p-2");
    }
    const cases: Array<[string, MeterColumn, number, number, number | null, "month" | "year"]> = [
      // Now inside minute M, the anchor 10 days back: a period made of partial and whole days.
      ["acc_a", CALLS, T0 - 10 * 86_400_000, M + 30_000, null, "month"],
      ["acc_a", CALLS, T0 - 10 * 86_400_000, M + MIN + 1, null, "month"],
      // A plan started in the middle of the minute before: its window starts there.
      ["acc_a", CALLS, T0 - 10 * 86_400_000, M + MIN + 1, M + 1, "month"],
      ["acc_a", TOKENS, T0 - 10 * 86_400_000, M + 1, null, "year"],
      ["acc_b", CALLS, T0, M + 1, null, "month"],
      ["acc_a", CALLS, T0 - 10 * 86_400_000, DAY0 + 86_400_000 + 1, null, "month"],
    ];
    for (const c of cases) {
      const [fromLite, fromPg] = await Promise.all(both.map((b) => b.q.persisted(...c)));
      expect(fromPg, JSON.stringify(c)).toEqual(fromLite);
    }
    // The figures themselves: minute M holds 15 served calls of the default meter (the legacy row's 3 included).
    expect(await both[1]!.q.persisted(...cases[0]!)).toMatchObject({ minuteUsed: 15 });
    expect((await both[1]!.q.persisted(...cases[1]!)).monthUsed).toBeGreaterThan(15);
  });

  it("many flushes of random batches from several writers: the same rows as SQLite writing them one after the other", async () => {
    const batches = randomBatches(20_261_202, 12);
    const [liteSide, pgSide] = both;
    for (const [i, b] of batches.entries()) await liteSide!.q.writeBatch(b(), `r-${i}`);
    // Four instances, each flushing its own batches in turn, all at once.
    const instances = [0, 1, 2, 3].map((n) => ({ q: pgMeteringQueries(pgSide!.store.db as Extract<DialectStore, { dialect: "pg" }>["db"], clock), mine: batches.map((b, i) => [b, i] as const).filter(([, i]) => i % 4 === n) }));
    await Promise.all(instances.map(async ({ q, mine }) => {
      for (const [b, i] of mine) await q.writeBatch(b(), `inst${i % 4}-${i}`);
    }));
    const [fromLite, fromPg] = await Promise.all(both.map((b) => written(b.store)));
    // An id carried by two batches keeps the decision of the flush that committed first: written at once, that is either.
    const idsOnly = (w: typeof fromLite) => ({ ...w, meteredIds: byJson(w!.meteredIds.map((r) => JSON.parse(r) as typeof lite.meteredIds.$inferSelect).map((r) => [r.accountId, r.meter, r.id])) });
    expect(idsOnly(fromPg)).toEqual(idsOnly(fromLite));
    // And the sums are what the batches carried.
    const expected = expectedTotals(batches);
    const minutes = fromPg!.usageMinute.map((r) => JSON.parse(r) as typeof lite.usageMinute.$inferSelect);
    expect(minutes.reduce((s, r) => s + r.allowed + r.wouldThrottle + r.throttled + r.ceiling, 0)).toBe(expected.calls);
    expect(fromPg!.meteredIds).toHaveLength(expected.ids);
    const peaks = fromPg!.usageDay.map((r) => JSON.parse(r) as typeof lite.usageDay.$inferSelect).map((r) => [`${r.accountId}/${r.meter}/${r.dayMs}`, r.peakMinute]);
    expect(Object.fromEntries(peaks)).toEqual(expected.peaks);
  });
});

/** Batches of overlapping minutes, accounts and keys, some ids repeated across batches. */
function randomBatches(seed: number, n: number): Array<() => UsageBatch> {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const keys = [["key_a1", "acc_a"], ["key_a2", "acc_a"], ["key_b1", "acc_b"]] as const;
  return Array.from({ length: n }, (_, b) => {
    const minutes: MinuteCounts[] = [];
    const ids = new Map<string, Array<[string, DecisionName, number]>>();
    const keysUsed = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const [keyId, accountId] = pick(keys);
      const meter = pick([CALLS, TOKENS]);
      const minuteMs = T0 + Math.floor(random() * 4) * MIN;
      const allowed = Math.floor(random() * 20);
      const wouldThrottle = random() < 0.3 ? Math.floor(random() * 5) : 0;
      minutes.push(minute(minuteMs, keyId, accountId, meter, allowed, wouldThrottle, random() < 0.2 ? 1 : 0));
      const scope = `${accountId}\u0000${meter[0]}`;
      if (!ids.has(scope)) ids.set(scope, []);
      // Ids from a small space: later batches carry some already written, which must not be written again.
      ids.get(scope)!.push([`ev-${Math.floor(random() * 200)}`, "allow", minuteMs + i]);
      keysUsed.set(keyId, Math.max(keysUsed.get(keyId) ?? 0, minuteMs + b));
    }
    const idChunks = [...ids].map(([scope, rows]) => [scope.split("\u0000")[0]!, scope.split("\u0000")[1]!, rows] as [string, string, Array<[string, DecisionName, number]>]);
    return batchOf({ minutes, ids: idChunks, keysUsed: [...keysUsed], limitEvents: [{ minuteMs: T0, accountId: "acc_a", meter: "calls", window: "day", decision: "throttle", count: b + 1 }] });
  });
}

/** What the batches add up to, counted here rather than by either database. */
function expectedTotals(batches: Array<() => UsageBatch>) {
  let calls = 0;
  const ids = new Set<string>();
  const perMinute = new Map<string, number>();
  const dayKeys = new Set<string>();
  for (const b of batches) {
    const batch = b();
    for (const r of batch.minutes) {
      calls += r.allowed + r.wouldThrottle + r.throttled + r.ceiling;
      const day = `${r.accountId}/${r.meter[0]}/${DAY0}`;
      dayKeys.add(day);
      perMinute.set(`${day}/${r.minuteMs}`, (perMinute.get(`${day}/${r.minuteMs}`) ?? 0) + r.allowed + r.wouldThrottle);
    }
    for (const [accountId, meter, rows] of batch.idChunks) for (const [id] of rows) ids.add(`${accountId}/${meter}/${id}`);
  }
  const peaks: Record<string, number> = {};
  for (const day of dayKeys) peaks[day] = 0;
  for (const [k, n] of perMinute) {
    const day = k.slice(0, k.lastIndexOf("/"));
    peaks[day] = Math.max(peaks[day]!, n);
  }
  return { calls, ids: ids.size, peaks };
}

describe("the PostgreSQL flush's batch ids", () => {
  let database: OpenDialect;
  let store: Extract<DialectStore, { dialect: "pg" }>;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    database = await DIALECTS.find((d) => d.dialect === "pg")!.open();
    store = database.store as typeof store;
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await seed(store);
    clock.set(T0);
  });

  it("a re-sent batch adds nothing and answers the same accounts; another batch id with the same rows adds again", async () => {
    const q = pgMeteringQueries(store.db, clock);
    const touched = (await q.writeBatch(FIRST(), "inst-1:7")).sort();
    const once = await written(store);
    expect((await q.writeBatch(FIRST(), "inst-1:7")).sort()).toEqual(touched);
    expect(await written(store)).toEqual(once);
    // Another instance's flush, or this one's next, is another id: counted.
    await pgMeteringQueries(store.db, clock).writeBatch(FIRST(), "inst-2:7");
    const twice = await written(store);
    expect(twice.usageMinute).toContain(JSON.stringify({ minuteMs: M + MIN, keyId: "key_a1", accountId: "acc_a", meter: "calls", allowed: 16, wouldThrottle: 0, throttled: 0, ceiling: 0 }));
    expect(twice.usageMinute).not.toEqual(once.usageMinute);
  });

  it("the same batch re-sent while its first attempt is still in flight is written once", async () => {
    const q = pgMeteringQueries(store.db, clock);
    await Promise.all([q.writeBatch(FIRST(), "inst-1:8"), q.writeBatch(FIRST(), "inst-1:8"), q.writeBatch(FIRST(), "inst-1:8")]);
    const rows = await written(store);
    expect(rows.usageMinute).toContain(JSON.stringify({ minuteMs: M + MIN, keyId: "key_a1", accountId: "acc_a", meter: "calls", allowed: 8, wouldThrottle: 0, throttled: 0, ceiling: 0 }));
  });

  it("instances flushing one account's minute at once: the day's peak is the minute's total over all of them", async () => {
    // Keys of one account, one per instance: the instances' minute rows never meet, only their totals do.
    const keys = Array.from({ length: 8 }, (_, i) => ({ id: `key_p${i}`, accountId: "acc_a", name: `p${i}`, prefix: `hr_p${i}`, hash: `hash-p${i}`, createdAtMs: T0 }));
    await store.db.insert(pgSchema.apiKeys).values(keys);
    const instances = keys.map(() => pgMeteringQueries(store.db, clock));
    for (let round = 0; round < 5; round++) {
      const minuteMs = T0 + round * MIN;
      await Promise.all(instances.map((q, i) => q.writeBatch(batchOf({ minutes: [minute(minuteMs, keys[i]!.id, "acc_a", CALLS, 10 + round, 1)] })(), `inst-${i}:${round}`)));
    }
    const [day] = await store.db.select().from(pgSchema.usageDay);
    // The busiest minute is the last round's: 8 keys × (14 allowed + 1 would-throttle).
    expect(day).toMatchObject({ allowed: 8 * (10 + 11 + 12 + 13 + 14), wouldThrottle: 8 * 5, peakMinute: 8 * 15 });
  });

  it("pruning the ids forgets the batch ids of flushes written before the same moment", async () => {
    const q = pgMeteringQueries(store.db, clock);
    await q.writeBatch(FIRST(), "old");
    clock.advance(49 * 3_600_000);
    await q.writeBatch(SECOND(), "new");
    // The ids of both flushes were seen at M + 1 … M + 51 (the calls' times, not the flushes').
    expect(await q.pruneIds(M + 1_000)).toBe(4);
    const kept = await store.db.select().from(pgSchema.usageFlushes);
    expect(kept).toEqual([{ batchId: "new", flushedAtMs: T0 + 49 * 3_600_000 }]);
  });
});
