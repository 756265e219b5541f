import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, seedPlanChange } from "../../testing/dialect-rows";
import { memoryDatabase } from "../../testing/memory-database";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgPlans from "../pg/queries/plans";
import { accounts } from "../schema";
import * as litePlans from "../sqlite/queries/plans";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const DAY = 86_400_000;

// adviceTermsNow serves the meter's synchronous path on SQLite only and has no PostgreSQL twin (tested below).
const { adviceTermsNow, ...liteAsync } = litePlans;

const acme = accountRow("acc_1", { planId: "pro", planVersion: 2, billingAnchorMs: T0, billingInterval: "year", planStartedAtMs: T0 + DAY, overageOptIn: true, grandfatheredUntilMs: T0 + 90 * DAY, createdAtMs: T0 - DAY });

describe.each(DIALECTS)("plans queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteAsync>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteAsync, pgPlans);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [acme, accountRow("acc_2"), accountRow("acc_3"), accountRow("acc_4", { planId: "business" })]);
  });

  it("reads the terms the advisor's answer depends on", async () => {
    expect(await q.adviceTerms("acc_1")).toEqual({
      id: "acc_1",
      planId: "pro",
      planVersion: 2,
      billingAnchorMs: T0,
      billingInterval: "year",
      planStartedAtMs: T0 + DAY,
      overageOptIn: true,
      grandfatheredUntilMs: T0 + 90 * DAY,
      createdAtMs: T0 - DAY,
    });
    expect(await q.adviceTerms("acc_2")).toMatchObject({ planVersion: 1, billingInterval: "month", planStartedAtMs: null, overageOptIn: false, grandfatheredUntilMs: null });
    expect(await q.adviceTerms("acc_none")).toBeUndefined();
  });

  it("answers the plan changes applied to the account after a moment, in the order they took effect", async () => {
    await seedPlanChange(database.store, { id: "pc_late", accountId: "acc_1", fromPlanId: "business", toPlanId: "pro", status: "applied", effectiveAtMs: T0 + 3 * DAY });
    await seedPlanChange(database.store, { id: "pc_early", accountId: "acc_1", fromPlanId: "starter", toPlanId: "business", status: "applied", effectiveAtMs: T0 + DAY });
    await seedPlanChange(database.store, { id: "pc_before", accountId: "acc_1", fromPlanId: "free", toPlanId: "starter", status: "applied", effectiveAtMs: T0 });
    // Not applied, not a plan change, not the account's: none of these count.
    await seedPlanChange(database.store, { id: "pc_open", accountId: "acc_1", toPlanId: "enterprise", status: "scheduled", effectiveAtMs: T0 + 4 * DAY });
    await seedPlanChange(database.store, { id: "pc_failed", accountId: "acc_1", toPlanId: "enterprise", status: "failed", effectiveAtMs: T0 + 2 * DAY });
    await seedPlanChange(database.store, { id: "pc_overage", accountId: "acc_1", kind: "overage_opt_in", toPlanId: "pro", status: "applied", effectiveAtMs: T0 + 2 * DAY });
    await seedPlanChange(database.store, { id: "pc_other", accountId: "acc_2", toPlanId: "pro", status: "applied", effectiveAtMs: T0 + 2 * DAY });
    expect(await q.appliedPlanChanges("acc_1", T0)).toEqual([
      { fromPlanId: "starter", toPlanId: "business", atMs: T0 + DAY },
      { fromPlanId: "business", toPlanId: "pro", atMs: T0 + 3 * DAY },
    ]);
    expect(await q.appliedPlanChanges("acc_1", T0 + 3 * DAY)).toEqual([]);
  });

  it("counts the accounts on each plan in use, and the targets of changes still waiting at none", async () => {
    await seedPlanChange(database.store, { id: "pc_open", accountId: "acc_2", toPlanId: "enterprise", status: "pending_approval", effectiveAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_open_2", accountId: "acc_3", toPlanId: "enterprise", status: "payment_pending", effectiveAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_to_pro", accountId: "acc_4", toPlanId: "pro", status: "scheduled", effectiveAtMs: T0 });
    // Done, failed or an overage choice: their targets need nothing kept.
    await seedPlanChange(database.store, { id: "pc_applied", accountId: "acc_1", toPlanId: "legacy", status: "applied", effectiveAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_failed", accountId: "acc_1", toPlanId: "agency", status: "failed", effectiveAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_overage", accountId: "acc_1", kind: "overage_opt_in", toPlanId: "scale", status: "scheduled", effectiveAtMs: T0 });
    expect([...(await q.planIdsInUse()).entries()]).toEqual([
      ["business", 1],
      ["pro", 1],
      ["starter", 2],
      ["enterprise", 0],
    ]);
  });

  it("answers an empty map when there are no accounts", async () => {
    await database.reset();
    expect(await q.planIdsInUse()).toEqual(new Map());
  });
});

describe("the advisor's synchronous read (SQLite only)", () => {
  it("answers as the asynchronous one does", async () => {
    const { db } = memoryDatabase();
    db.insert(accounts).values(acme).run();
    expect(adviceTermsNow(db, "acc_1")).toEqual(await litePlans.adviceTerms(db, "acc_1"));
    expect(adviceTermsNow(db, "acc_1")).toMatchObject({ planId: "pro", overageOptIn: true });
    expect(adviceTermsNow(db, "acc_none")).toBeUndefined();
  });
});
