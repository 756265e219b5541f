import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows, seedPlanChange } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgCatalog from "../pg/queries/catalog";
import type { PlanVersionRow } from "../sqlite/queries/catalog";
import * as liteCatalog from "../sqlite/queries/catalog";

const T0 = Date.parse("2026-11-25T10:00:00Z");
const version = (planId: string, v: number, termsJson = `{"v":${v}}`): PlanVersionRow => ({ planId, version: v, termsJson, currency: "USD", createdAtMs: T0 + v });
const byKey = <T extends { planId: string }>(rows: T[], v: (r: T) => number) => [...rows].sort((a, b) => a.planId.localeCompare(b.planId) || v(a) - v(b));

describe.each(DIALECTS)("catalog queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteCatalog>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteCatalog, pgCatalog);
  });
  afterAll(() => database.close());
  beforeEach(() => database.reset());

  it("records plan versions once: a version recorded before keeps its terms", async () => {
    await q.insertPlanVersions([]);
    expect(await q.planVersionRows()).toEqual([]);
    await q.insertPlanVersions([version("starter", 1), version("pro", 1)]);
    await q.insertPlanVersions([version("pro", 1, '{"changed":true}'), version("pro", 2)]);
    expect(byKey(await q.planVersionRows(), (r) => r.version)).toEqual([version("pro", 1), version("pro", 2), version("starter", 1)]);
  });

  it("of processes recording the same versions at once, each version is recorded once and none fails", async () => {
    // Half of them list the versions in the other order.
    const versions = (i: number) => [version("starter", 1, `{"by":${i}}`), version("pro", 1, `{"by":${i}}`), version("pro", 2, `{"by":${i}}`)];
    await Promise.all(Array.from({ length: 6 }, (_, i) => q.insertPlanVersions(i % 2 ? versions(i) : versions(i).reverse())));
    const rows = await q.planVersionRows();
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.termsJson)).size).toBe(1);
  });

  it("answers the last catalogs loaded, newest first", async () => {
    expect(await q.lastCatalogLoads(2)).toEqual([]);
    for (const [i, source] of ["file", "operator", "file"].entries()) await q.insertCatalogLoad({ loadedAtMs: T0 + i, dataJson: `{"load":${i}}`, source });
    const last = await q.lastCatalogLoads(2);
    expect(last.map((l) => [l.loadedAtMs, l.dataJson, l.source])).toEqual([
      [T0 + 2, '{"load":2}', "file"],
      [T0 + 1, '{"load":1}', "operator"],
    ]);
    expect(last[0]!.id).toBeGreaterThan(last[1]!.id);
    expect(await q.lastCatalogLoads(5)).toHaveLength(3);
  });

  describe("with accounts", () => {
    beforeEach(async () => {
      await insertRows(database.store, "accounts", [
        accountRow("acc_1", { planId: "starter", planVersion: 1 }),
        accountRow("acc_2", { planId: "starter", planVersion: 2 }),
        accountRow("acc_3", { planId: "starter", planVersion: 2 }),
        accountRow("acc_4", { planId: "pro", planVersion: 1 }),
      ]);
    });

    it("counts the accounts on each version of each plan, and names those on one", async () => {
      expect(byKey(await q.accountsPerPlanVersion(), (r) => r.planVersion)).toEqual([
        { planId: "pro", planVersion: 1, accounts: 1 },
        { planId: "starter", planVersion: 1, accounts: 1 },
        { planId: "starter", planVersion: 2, accounts: 2 },
      ]);
      expect((await q.accountIdsOnPlanVersion("starter", 2)).sort()).toEqual(["acc_2", "acc_3"]);
      expect(await q.accountIdsOnPlanVersion("starter", 3)).toEqual([]);
      expect(await q.accountIdsOnPlanVersion("business", 1)).toEqual([]);
    });

    it("answers the versions in use: those accounts are on and those waiting changes will put them on, each once", async () => {
      await seedPlanChange(database.store, { id: "pc_waiting", accountId: "acc_1", toPlanId: "pro", toPlanVersion: 3, status: "scheduled", effectiveAtMs: T0 });
      await seedPlanChange(database.store, { id: "pc_approval", accountId: "acc_2", toPlanId: "business", toPlanVersion: 1, status: "pending_approval", effectiveAtMs: T0 });
      // Already on: listed once.
      await seedPlanChange(database.store, { id: "pc_same", accountId: "acc_4", toPlanId: "starter", toPlanVersion: 2, status: "payment_required", effectiveAtMs: T0 });
      // Done, failed, or an overage choice: they put no one anywhere.
      await seedPlanChange(database.store, { id: "pc_done", accountId: "acc_3", toPlanId: "enterprise", toPlanVersion: 1, status: "applied", effectiveAtMs: T0 });
      await seedPlanChange(database.store, { id: "pc_failed", accountId: "acc_3", toPlanId: "enterprise", toPlanVersion: 2, status: "failed", effectiveAtMs: T0 });
      await seedPlanChange(database.store, { id: "pc_overage", accountId: "acc_3", kind: "overage_opt_in", toPlanId: "scale", toPlanVersion: 1, status: "scheduled", effectiveAtMs: T0 });
      expect(byKey(await q.planVersionsInUse(), (r) => r.version)).toEqual([
        { planId: "business", version: 1 },
        { planId: "pro", version: 1 },
        { planId: "pro", version: 3 },
        { planId: "starter", version: 1 },
        { planId: "starter", version: 2 },
      ]);
    });
  });
});
