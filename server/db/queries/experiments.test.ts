import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, rowsOf, seedPlanChange, type NewRow } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type DialectStore, type OpenDialect } from "../../testing/pg-dialects";
import * as pgExperiments from "../pg/queries/experiments";
import { experiments as pgExperimentsTable } from "../pg/schema";
import { experiments as liteExperimentsTable } from "../schema";
import * as liteExperiments from "../sqlite/queries/experiments";
import type { ExperimentEventRow, NewExperimentRow } from "./experiments";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const DAY = 86_400_000;

const definition = (id: string, over: Partial<NewExperimentRow> = {}): NewExperimentRow => ({
  id,
  name: `Experiment ${id}`,
  hypothesis: "A lower Starter price brings more upgrades",
  startMs: T0 + DAY,
  durationDays: 14,
  cohortKind: "accounts",
  cohortAccountIdsJson: JSON.stringify(["acc_1"]),
  minSample: 10,
  targetSample: 100,
  confidencePct: 95,
  criteriaJson: "{}",
  createdAtMs: T0,
  createdBy: "op",
  updatedAtMs: T0,
  ...over,
});

const event = (id: string, experimentId: string, kind: string, atMs = T0, details: Record<string, unknown> = {}): ExperimentEventRow => ({ id, experimentId, atMs, actor: "op", kind, details });

/** A write past the query module (the row's name), so that an older experiment is the last one written to. */
async function rename(store: DialectStore, id: string, name: string): Promise<void> {
  if (store.dialect === "sqlite") store.db.update(liteExperimentsTable).set({ name }).where(eq(liteExperimentsTable.id, id)).run();
  else await store.db.update(pgExperimentsTable).set({ name }).where(eq(pgExperimentsTable.id, id));
}

describe.each(DIALECTS)("experiment queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteExperiments>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteExperiments, pgExperiments);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [
      accountRow("acc_1", { name: "acme" }),
      accountRow("acc_2", { name: "Zeta", planId: "pro", grandfatheredUntilMs: T0 + DAY }),
      accountRow("acc_3", { name: "Brightline" }),
    ]);
  });

  it("keeps one experiment active: a second is refused until the first ends", async () => {
    expect(await q.activeExperiment()).toBeUndefined();
    expect(await q.insertExperiment(definition("exp_1"), event("exe_1", "exp_1", "created"))).toBe("created");
    expect(await q.insertExperiment(definition("exp_2"), event("exe_2", "exp_2", "created"))).toBe("conflict");
    expect(await q.experimentById("exp_2")).toBeUndefined();
    expect(await q.activeExperiment()).toEqual({ ...definition("exp_1"), cohortName: "", phasesJson: "[]", active: 1, endedAtMs: null });
    expect(await q.endExperiment("exp_1", T0 + 5, event("exe_3", "exp_1", "ended", T0 + 5))).toBe("ended");
    expect(await q.endExperiment("exp_1", T0 + 6, event("exe_4", "exp_1", "ended", T0 + 6))).toBe("ended_before");
    expect(await q.endExperiment("exp_nope", T0 + 6, event("exe_5", "exp_nope", "ended", T0 + 6))).toBe("not_found");
    expect(await q.activeExperiment()).toBeUndefined();
    expect(await q.experimentById("exp_1")).toMatchObject({ active: null, endedAtMs: T0 + 5, updatedAtMs: T0 + 5 });
    expect(await q.insertExperiment(definition("exp_2"), event("exe_2", "exp_2", "created"))).toBe("created");
    expect((await q.experimentEventsOf("exp_1")).map((e) => e.kind)).toEqual(["created", "ended"]);
  });

  it("of many experiments created at once one is, and of many ends of one, one records it", async () => {
    const created = await Promise.all(Array.from({ length: 8 }, (_, i) => q.insertExperiment(definition(`exp_${i}`), event(`exe_c${i}`, `exp_${i}`, "created"))));
    expect(created.filter((r) => r === "created")).toHaveLength(1);
    const active = (await q.activeExperiment())!;
    const ended = await Promise.all(Array.from({ length: 8 }, (_, i) => q.endExperiment(active.id, T0 + i, event(`exe_e${i}`, active.id, "ended", T0 + i))));
    expect(ended.filter((r) => r === "ended")).toHaveLength(1);
    expect(ended.filter((r) => r === "ended_before")).toHaveLength(7);
    expect((await q.experimentEventsOf(active.id)).map((e) => e.kind)).toEqual(["created", "ended"]);
    expect(await rowsOf(database.store, "experimentEvents")).toHaveLength(2);
  });

  it("edits an experiment before its start only, and records each edit", async () => {
    await q.insertExperiment(definition("exp_1"), event("exe_1", "exp_1", "created"));
    expect(await q.updateExperimentBeforeStart("exp_1", { name: "Renamed", durationDays: 21 }, T0 + 1, event("exe_2", "exp_1", "edited", T0 + 1, { changed: ["name"] }))).toBe("updated");
    expect(await q.experimentById("exp_1")).toMatchObject({ name: "Renamed", durationDays: 21, updatedAtMs: T0 + 1, startMs: T0 + DAY });
    // At its start instant it has started.
    expect(await q.updateExperimentBeforeStart("exp_1", { name: "Late" }, T0 + DAY, event("exe_3", "exp_1", "edited", T0 + DAY))).toBe("started");
    expect(await q.updateExperimentBeforeStart("exp_nope", { name: "Late" }, T0, event("exe_4", "exp_nope", "edited"))).toBe("not_found");
    // Ended before its start: no more edits either.
    await q.endExperiment("exp_1", T0 + 2, event("exe_5", "exp_1", "ended", T0 + 2));
    expect(await q.updateExperimentBeforeStart("exp_1", { name: "Late" }, T0 + 3, event("exe_6", "exp_1", "edited", T0 + 3))).toBe("started");
    expect((await q.experimentById("exp_1"))!.name).toBe("Renamed");
    expect(await q.experimentEventsOf("exp_1")).toEqual([
      { id: "exe_1", experimentId: "exp_1", atMs: T0, actor: "op", kind: "created", details: {} },
      { id: "exe_2", experimentId: "exp_1", atMs: T0 + 1, actor: "op", kind: "edited", details: { changed: ["name"] } },
      { id: "exe_5", experimentId: "exp_1", atMs: T0 + 2, actor: "op", kind: "ended", details: {} },
    ]);
  });

  it("keeps the trail in time order and, of one instant, in the order the events were written", async () => {
    await q.insertExperiment(definition("exp_1"), event("exe_m", "exp_1", "created"));
    // Ids in the reverse of their order, so that neither they nor chance can give the right answer.
    for (const id of ["exe_z", "exe_y", "exe_a", "exe_b"]) await q.appendExperimentEvent(event(id, "exp_1", "note", T0, { text: id }));
    await q.appendExperimentEvent(event("exe_0", "exp_1", "note", T0 - 1));
    expect((await q.experimentEventsOf("exp_1")).map((e) => e.id)).toEqual(["exe_0", "exe_m", "exe_z", "exe_y", "exe_a", "exe_b"]);
    expect((await q.experimentEventsOf("exp_1"))[2]!.details).toEqual({ text: "exe_z" });
    expect(await q.experimentEventsOf("exp_nope")).toEqual([]);
  });

  it("lists every experiment newest first; of one instant, the last created first, whatever was written to them since", async () => {
    await q.insertExperiment(definition("exp_z", { createdAtMs: T0 }), event("exe_1", "exp_z", "created"));
    await q.endExperiment("exp_z", T0, event("exe_2", "exp_z", "ended"));
    await q.insertExperiment(definition("exp_a", { createdAtMs: T0 }), event("exe_3", "exp_a", "created"));
    await q.endExperiment("exp_a", T0, event("exe_4", "exp_a", "ended"));
    await q.insertExperiment(definition("exp_m", { createdAtMs: T0 - 1 }), event("exe_5", "exp_m", "created"));
    await rename(database.store, "exp_z", "Written last");
    expect((await q.listExperiments()).map((e) => e.id)).toEqual(["exp_a", "exp_z", "exp_m"]);
  });

  it("reads the cohort's accounts by name in byte order, and the scorecard's figures", async () => {
    expect((await q.cohortAccounts(null)).map((a) => a.name)).toEqual(["Brightline", "Zeta", "acme"]);
    expect(await q.cohortAccounts(["acc_2", "acc_1", "acc_gone"])).toEqual([
      { id: "acc_2", name: "Zeta", planId: "pro", grandfatheredUntilMs: T0 + DAY },
      { id: "acc_1", name: "acme", planId: "starter", grandfatheredUntilMs: null },
    ]);
    expect(await q.cohortAccounts([])).toEqual([]);

    const day = Date.parse("2026-11-20T00:00:00Z");
    await insertRows(database.store, "usageDay", [
      { dayMs: day + DAY, accountId: "acc_2", meter: "api", allowed: 4, wouldThrottle: 0, throttled: 9 },
      { dayMs: day, accountId: "acc_1", meter: "", allowed: 10, wouldThrottle: 1, throttled: 5 },
      { dayMs: day, accountId: "acc_1", meter: "mcp", allowed: 3, wouldThrottle: 2 },
      { dayMs: day + DAY, accountId: "acc_1", meter: "api", allowed: 7 },
      { dayMs: day + 2 * DAY, accountId: "acc_1", meter: "api", allowed: 100 },
      { dayMs: day, accountId: "acc_3", meter: "api", allowed: 50 },
    ]);
    expect(await q.servedPerAccountDay(["acc_2", "acc_1"], day, day + 2 * DAY)).toEqual([
      { accountId: "acc_1", dayMs: day, served: 16 },
      { accountId: "acc_1", dayMs: day + DAY, served: 7 },
      { accountId: "acc_2", dayMs: day + DAY, served: 4 },
    ]);
    expect(await q.servedPerAccountDay([], day, day + DAY)).toEqual([]);

    const invoice = (id: string, over: Partial<NewRow<"invoices">>): NewRow<"invoices"> => ({
      id,
      accountId: "acc_1",
      number: `HR-${id}`,
      kind: "period",
      periodStartMs: T0,
      periodEndMs: T0 + DAY,
      totalMinor: 1000,
      currency: "USD",
      status: "paid",
      dedupeKey: `d_${id}`,
      createdAtMs: T0,
      ...over,
    });
    await insertRows(database.store, "invoices", [
      invoice("inv_2", { createdAtMs: T0 + 2, totalMinor: 2900 }),
      invoice("inv_1", { createdAtMs: T0 + 1 }),
      invoice("inv_open", { createdAtMs: T0 + 1, status: "open" }),
      invoice("inv_cn", { createdAtMs: T0 + 1, kind: "credit_note", totalMinor: -100 }),
      invoice("inv_late", { createdAtMs: T0 + 10 }),
      invoice("inv_other", { accountId: "acc_3", createdAtMs: T0 + 1 }),
    ]);
    expect(await q.paidInvoicesOf(["acc_1", "acc_2"], T0, T0 + 10)).toEqual([
      { id: "inv_1", number: "HR-inv_1", accountId: "acc_1", totalMinor: 1000, currency: "USD", createdAtMs: T0 + 1, periodStartMs: T0, periodEndMs: T0 + DAY },
      { id: "inv_2", number: "HR-inv_2", accountId: "acc_1", totalMinor: 2900, currency: "USD", createdAtMs: T0 + 2, periodStartMs: T0, periodEndMs: T0 + DAY },
    ]);
    expect(await q.paidInvoicesOf([], T0, T0 + 10)).toEqual([]);

    await insertRows(database.store, "anomalies", [
      { id: "anm_1", accountId: "acc_1", invoiceId: "inv_2", previousTotalMinor: 1000, totalMinor: 2900, currency: "USD", createdAtMs: T0 + 2 },
      { id: "anm_2", accountId: "acc_3", invoiceId: "inv_other", previousTotalMinor: 100, totalMinor: 1000, currency: "USD", createdAtMs: T0 + 20 },
    ]);
    expect(await q.anomaliesBetween(T0, T0 + 20)).toEqual([{ accountId: "acc_1", atMs: T0 + 2, invoiceId: "inv_2" }]);

    await seedPlanChange(database.store, { id: "pc_1", accountId: "acc_1", toPlanId: "business", status: "applied", createdAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_2", accountId: "acc_2", toPlanId: "business", status: "denied", createdAtMs: T0 });
    await seedPlanChange(database.store, { id: "pc_3", accountId: "acc_1", toPlanId: "enterprise", status: "applied", createdAtMs: T0 + 1 });
    const approval = (id: string, planChangeId: string, accountId: string, status: NewRow<"approvalRequests">["status"]): NewRow<"approvalRequests"> => ({
      id,
      planChangeId,
      accountId,
      projectedMonthlyMinor: 50_000,
      billingCapMinor: 10_000,
      status,
      createdAtMs: T0,
    });
    await insertRows(database.store, "approvalRequests", [approval("ap_1", "pc_1", "acc_1", "approved"), approval("ap_2", "pc_2", "acc_2", "denied"), approval("ap_3", "pc_3", "acc_1", "approved")]);
    expect(await q.accountsWithApprovedChanges(["acc_1", "acc_2", "acc_3"])).toEqual(["acc_1"]);
    expect(await q.accountsWithApprovedChanges([])).toEqual([]);
  });
});
