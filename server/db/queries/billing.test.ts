import { confirmationFor } from "../../../shared/consent";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { confirmPlanChange, type Consenter } from "../../billing/plan-change";
import { previewPlanChange } from "../../billing/quote";
import { ManualClock } from "../../lib/clock";
import { startTestServer, type TestServer } from "../../testing/test-server";
import { cancelWaitingChange, decideApprovalInTx } from "./billing";
import { inTransaction } from "./plan-changes";

const who: Consenter = { signedInAs: "ops@acme.example", ip: null, userAgent: null };
let srv: TestServer;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(Date.parse("2026-11-16T00:00:00Z"));
  srv = await startTestServer({ clock });
});
afterEach(() => srv.stop());

/** An account with one change waiting: a downgrade scheduled at the period end, or (over the cap) a switch awaiting approval. */
async function waiting(kind: "scheduled" | "pending_approval") {
  const accountId = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: `${Math.random()}@example.com`, planId: "pro" }, { billingAnchorMs: Date.parse("2026-11-01T00:00:00Z") })).id;
  srv.deps.billing.billingCapMinor = kind === "pending_approval" ? 1_000 : 100_000;
  const q = await previewPlanChange(srv.deps.billing, { accountId, toPlanId: kind === "scheduled" ? "starter" : "business" });
  const r = await confirmPlanChange(srv.deps.billing, accountId, confirmationFor(q), who);
  expect(r.status).toBe(kind);
  return { accountId, planChangeId: r.planChangeId };
}
const row = (sql: string, id: string) => srv.sqlite.prepare(sql).get(id);

describe("billing queries", () => {
  it("cancel a waiting change once, only for its own account, withdrawing its pending approval with it", async () => {
    const scheduled = await waiting("scheduled");
    expect(await cancelWaitingChange(srv.deps.db, "acc_someone_else", scheduled.planChangeId, clock.now())).toBe(false);
    expect(row("select status from plan_changes where id = ?", scheduled.planChangeId)).toEqual({ status: "scheduled" });
    expect(await cancelWaitingChange(srv.deps.db, scheduled.accountId, scheduled.planChangeId, clock.now())).toBe(true);
    expect(await cancelWaitingChange(srv.deps.db, scheduled.accountId, scheduled.planChangeId, clock.now())).toBe(false);
    expect(row("select status from plan_changes where id = ?", scheduled.planChangeId)).toEqual({ status: "cancelled" });

    const pending = await waiting("pending_approval");
    clock.advance(60_000);
    expect(await cancelWaitingChange(srv.deps.db, pending.accountId, pending.planChangeId, clock.now())).toBe(true);
    expect(row("select status, decided_at_ms as decidedAtMs from approval_requests where plan_change_id = ?", pending.planChangeId)).toEqual({ status: "withdrawn", decidedAtMs: clock.now() });
  });

  it("decide an approval request once: a second decision changes nothing", async () => {
    const pending = await waiting("pending_approval");
    const requestId = (row("select id from approval_requests where plan_change_id = ?", pending.planChangeId) as { id: string }).id;
    const decide = (status: "approved" | "denied", by: string) => inTransaction(srv.deps.db, () => decideApprovalInTx(requestId, { status, reason: null, decidedBy: by, decidedAtMs: clock.now() }));
    expect(await decide("approved", "op-a")).toBe(true);
    expect(await decide("denied", "op-b")).toBe(false);
    expect(row("select status, decided_by as decidedBy from approval_requests where id = ?", requestId)).toEqual({ status: "approved", decidedBy: "op-a" });
  });
});
