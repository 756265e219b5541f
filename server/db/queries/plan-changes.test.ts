import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, rowsOf, seedPlanChange } from "../../testing/dialect-rows";
import { DIALECTS, type OpenDialect } from "../../testing/pg-dialects";
import { changeIdOfQuote, changeWithQuote, closeWaiting, markSent, planChangeById, quoteById, scheduledSwitch } from "./plan-changes";

const NOW = Date.parse("2026-11-25T14:00:00Z");

describe.each(DIALECTS)("plan change queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  const db = () => database.store.db;

  beforeAll(async () => {
    database = await open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_1"), accountRow("acc_2")]);
  });

  it("reads a quote, the change it was confirmed into, and the change with its quote", async () => {
    await seedPlanChange(database.store, { id: "pch_1", accountId: "acc_1", toPlanId: "pro", toPlanVersion: 3, status: "applied", effectiveAtMs: NOW });
    const quote = await quoteById(db(), "q_pch_1");
    expect(quote).toMatchObject({ id: "q_pch_1", accountId: "acc_1", toPlanId: "pro", toPlanVersion: 3, fromInterval: "month", expectedOverageMinor: 0 });
    expect(await quoteById(db(), "q_none")).toBeUndefined();
    expect(await changeIdOfQuote(db(), "q_pch_1")).toBe("pch_1");
    expect(await changeIdOfQuote(db(), "q_none")).toBeNull();
    const change = await planChangeById(db(), "pch_1");
    expect(change).toMatchObject({ id: "pch_1", quoteId: "q_pch_1", consentId: "c_pch_1", status: "applied", appliedAtMs: null, providerSentAtMs: null });
    expect(await planChangeById(db(), "pch_none")).toBeUndefined();
    expect(await changeWithQuote(db(), "pch_1")).toEqual({ change, quote });
    expect(await changeWithQuote(db(), "pch_none")).toBeUndefined();
  });

  it("finds the account's switch scheduled, not another account's nor another kind", async () => {
    await seedPlanChange(database.store, { id: "pch_opt", accountId: "acc_1", toPlanId: "starter", kind: "overage_opt_in", status: "scheduled", effectiveAtMs: NOW });
    await seedPlanChange(database.store, { id: "pch_done", accountId: "acc_1", toPlanId: "pro", status: "applied", effectiveAtMs: NOW });
    expect(await scheduledSwitch(db(), "acc_1")).toBeUndefined();
    await seedPlanChange(database.store, { id: "pch_sched", accountId: "acc_1", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW + 1 });
    await seedPlanChange(database.store, { id: "pch_other", accountId: "acc_2", toPlanId: "free", status: "scheduled", effectiveAtMs: NOW });
    expect(await scheduledSwitch(db(), "acc_1")).toMatchObject({ id: "pch_sched", toPlanId: "free", effectiveAtMs: NOW + 1 });
  });

  it("marks a change sent only while it is applying, keeping the first moment", async () => {
    await seedPlanChange(database.store, { id: "pch_1", accountId: "acc_1", toPlanId: "pro", status: "applying", effectiveAtMs: NOW });
    expect(await markSent(db(), "pch_1", NOW + 1)).toBe(true);
    // A retry re-sends: marked again, still applying.
    expect(await markSent(db(), "pch_1", NOW + 2)).toBe(true);
    expect(await planChangeById(db(), "pch_1")).toMatchObject({ providerSentAtMs: NOW + 2, updatedAtMs: NOW + 2 });
    expect(await closeWaiting(db(), "pch_1", "failed", "card declined", NOW + 3)).toBe(true);
    expect(await markSent(db(), "pch_1", NOW + 4)).toBe(false);
    expect(await planChangeById(db(), "pch_1")).toMatchObject({ status: "failed", failureMessage: "card declined", providerSentAtMs: NOW + 2, updatedAtMs: NOW + 3 });
    expect(await markSent(db(), "pch_none", NOW)).toBe(false);
  });

  it("of a change closed and marked sent at once, the mark holds only if it came first", async () => {
    for (let round = 0; round < 5; round++) {
      const id = `pch_race_${round}`;
      await insertRows(database.store, "accounts", [accountRow(`acc_race_${round}`)]);
      await seedPlanChange(database.store, { id, accountId: `acc_race_${round}`, toPlanId: "pro", status: "applying", effectiveAtMs: NOW });
      const [closed, sent] = await Promise.all([closeWaiting(db(), id, "failed", "expired", NOW + 1), markSent(db(), id, NOW + 2)]);
      expect(closed).toBe(true);
      const stored = (await rowsOf(database.store, "planChanges")).find((c) => c.id === id)!;
      expect(stored).toMatchObject({ status: "failed", providerSentAtMs: sent ? NOW + 2 : null });
      // The close writes last either way: a mark after it finds the change no longer applying.
      expect(stored.updatedAtMs).toBe(NOW + 1);
    }
  });
});
