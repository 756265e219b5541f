import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgAudit from "../pg/queries/audit";
import type { AuditEntryRow } from "../sqlite/queries/audit";
import * as liteAudit from "../sqlite/queries/audit";

const T0 = Date.parse("2026-11-25T10:00:00Z");

const entry = (id: string, atMs: number, action: string, accountId: string | null = "acc_1", details: Record<string, unknown> = {}): AuditEntryRow => ({ id, atMs, actor: "operator", action, accountId, details });

describe.each(DIALECTS)("audit queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteAudit>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteAudit, pgAudit);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    for (const e of [
      entry("aud_1", T0, "billing.paused", "acc_1", { reason: "chargeback", amountMinor: 4_900, nested: { ok: true } }),
      entry("aud_2", T0 + 1_000, "billing.resumed", "acc_1"),
      entry("aud_3", T0 + 2_000, "enforcement.changed", null, { planId: "starter", from: "shadow", to: "enforce" }),
      entry("aud_4", T0 + 3_000, "billing.paused", "acc_2"),
      entry("aud_5", T0 + 4_000, "key.revoked", "acc_1"),
    ]) {
      await q.insertAuditEntry(e);
    }
  });

  it("answers the trail newest first, with the details as they were written", async () => {
    const all = await q.listAuditEntries({});
    expect(all.map((e) => e.id)).toEqual(["aud_5", "aud_4", "aud_3", "aud_2", "aud_1"]);
    expect(all[4]).toEqual(entry("aud_1", T0, "billing.paused", "acc_1", { reason: "chargeback", amountMinor: 4_900, nested: { ok: true } }));
    expect(all[2]).toEqual(entry("aud_3", T0 + 2_000, "enforcement.changed", null, { planId: "starter", from: "shadow", to: "enforce" }));
  });

  it("filters by account, by action prefix (whatever its case), by time (both ends included) and together", async () => {
    const ids = async (filter: Parameters<typeof q.listAuditEntries>[0]) => (await q.listAuditEntries(filter)).map((e) => e.id);
    expect(await ids({ accountId: "acc_1" })).toEqual(["aud_5", "aud_2", "aud_1"]);
    expect(await ids({ action: "billing." })).toEqual(["aud_4", "aud_2", "aud_1"]);
    // SQLite's LIKE ignores ASCII case; the PostgreSQL twin answers the same.
    expect(await ids({ action: "BILLING.P" })).toEqual(["aud_4", "aud_1"]);
    expect(await ids({ action: "paused" })).toEqual([]);
    expect(await ids({ fromMs: T0 + 1_000, toMs: T0 + 3_000 })).toEqual(["aud_4", "aud_3", "aud_2"]);
    expect(await ids({ accountId: "acc_1", action: "billing.", fromMs: T0 + 1 })).toEqual(["aud_2"]);
    expect(await ids({ accountId: "acc_none" })).toEqual([]);
  });

  it("answers at most the limit asked, 200 when none is", async () => {
    for (let i = 0; i < 200; i++) await q.insertAuditEntry(entry(`aud_more_${String(i).padStart(3, "0")}`, T0 + 10_000 + i, "usage.exported"));
    expect((await q.listAuditEntries({ limit: 2 })).map((e) => e.id)).toEqual(["aud_more_199", "aud_more_198"]);
    const page = await q.listAuditEntries({});
    expect(page).toHaveLength(200);
    expect(page.at(-1)!.id).toBe("aud_more_000");
  });
});
