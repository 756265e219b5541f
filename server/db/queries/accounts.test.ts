import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, insertRows } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgAccounts from "../pg/queries/accounts";
import * as liteAccounts from "../sqlite/queries/accounts";

const row = (id: string, email: string) => ({ id, name: id, email, planId: "starter", billingAnchorMs: 0, createdAtMs: 0 });

// The synchronous reads serve SQLite's synchronous transactions only and have no PostgreSQL twin (tested below).
const liteAsync = liteAccounts;

describe.each(DIALECTS)("accounts queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteAsync>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteAsync, pgAccounts);
  });
  afterAll(() => database.close());
  beforeEach(() => database.reset());

  it("adds an account once per e-mail and names the account that holds it", async () => {
    const first = await q.insertAccountUnlessEmailTaken(row("acc_a", "ops@acme.example"));
    expect(first).toMatchObject({ row: { id: "acc_a", email: "ops@acme.example", currency: "USD" } });
    expect(await q.insertAccountUnlessEmailTaken(row("acc_b", "ops@acme.example"))).toEqual({ takenBy: "acc_a" });
    expect((await q.listAccountRows()).map((a) => a.id)).toEqual(["acc_a"]);
  });

  it("of sign-ups at once with one address, one gets the account and the others are told who holds it", async () => {
    for (let round = 0; round < 4; round++) {
      const email = `race${round}@example.com`;
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => q.insertAccountUnlessEmailTaken(row(`acc_${round}_${i}`, email))));
      const created = answers.flatMap((a) => ("row" in a ? [a.row.id] : []));
      expect(created).toHaveLength(1);
      expect(answers.filter((a) => "takenBy" in a)).toEqual(Array.from({ length: 5 }, () => ({ takenBy: created[0] })));
    }
    expect(await q.listAccountRows()).toHaveLength(4);
  });

  it("lists every account by name in byte order (capitals before lower case), and reads one by id with its defaults", async () => {
    await insertRows(database.store, "accounts", [
      accountRow("acc_1", { name: "acme" }),
      accountRow("acc_2", { name: "Zeta" }),
      accountRow("acc_3", { name: "Brightline", overageOptIn: true, grandfatheredUntilMs: 5_000 }),
    ]);
    expect((await q.listAccountRows()).map((a) => a.name)).toEqual(["Brightline", "Zeta", "acme"]);
    expect(await q.accountRowById("acc_3")).toEqual({
      ...accountRow("acc_3", { name: "Brightline" }),
      planVersion: 1,
      currency: "USD",
      billingInterval: "month",
      planStartedAtMs: null,
      enforcementOverride: null,
      capOverridesJson: null,
      grandfatheredUntilMs: 5_000,
      overageOptIn: true,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
    });
    expect(await q.accountRowById("acc_none")).toBeUndefined();
  });

  it("answers the enforcement mode operators set per plan, and none for plans without a row", async () => {
    expect(await q.planModes()).toEqual(new Map());
    await insertRows(database.store, "planSettings", [
      { planId: "starter", enforcement: "shadow", updatedAtMs: 1, updatedBy: "operator" },
      { planId: "pro", enforcement: "off", updatedAtMs: 2, updatedBy: "operator" },
    ]);
    expect(await q.planModes()).toEqual(
      new Map([
        ["starter", "shadow"],
        ["pro", "off"],
      ]),
    );
  });
});
