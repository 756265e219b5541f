import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { CatalogFileInput } from "../../shared/catalog-file";
import { parseCatalog } from "../../shared/catalog-file";
import { confirmationFor } from "../../shared/consent";
import demoFile from "../../headroom.catalog.json";
import { createAccount, findAccount } from "../accounts/accounts";
import { billingOverview } from "../billing/billing-overview";
import { confirmPlanChange } from "../billing/plan-change";
import { previewPlanChange } from "../billing/quote";
import { ManualClock } from "../lib/clock";
import { createLogger } from "../lib/logger";
import { createRuntime } from "../main";
import { startTestServer, type TestServer } from "../testing/test-server";
import { checkCatalogFile } from "./catalog-check";
import { offerCurrentTerms } from "./offer-terms";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const clock = new ManualClock(Date.parse("2026-11-16T12:00:00Z"));
const who = { signedInAs: "ops@acme.example", ip: "127.0.0.1", userAgent: "vitest" };
const servers: TestServer[] = [];
const dirs: string[] = [];

/** The demo catalog with changes to one plan. */
function demoWith(planId: string, change: (p: CatalogFileInput["plans"][number]) => void): CatalogFileInput {
  const file = structuredClone(demoFile) as CatalogFileInput;
  change(file.plans.find((p) => p.id === planId)!);
  return file;
}

/** A server on `file`, on the database of an earlier one when given (a restart with a new catalog file). */
async function serve(file: CatalogFileInput, on?: TestServer): Promise<TestServer> {
  const srv = await startTestServer({ clock, catalog: parseCatalog(file), env: on ? { DATABASE_PATH: on.deps.config.DATABASE_PATH } : {} });
  servers.push(srv);
  return srv;
}

/** Stops a server and keeps its database for the next one. */
async function restart(srv: TestServer, file: CatalogFileInput): Promise<TestServer> {
  await srv.started.stop();
  servers.splice(servers.indexOf(srv), 1);
  dirs.push(srv.dir);
  return serve(file, srv);
}

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const version = (srv: TestServer, id: string) => srv.sqlite.prepare("select plan_version from accounts where id = ?").pluck().get(id);
const versions = (srv: TestServer, planId: string) => srv.sqlite.prepare("select version from plan_versions where plan_id = ? order by version").pluck().all(planId);

describe("plan versions", () => {
  it("a new price is a new version: accounts on the old one keep its price and caps, new accounts get the new one", async () => {
    const first = await serve(demoFile as CatalogFileInput);
    const old = await createAccount(first.deps.db, first.deps.catalog, clock, { name: "Old", email: "old@example.com", planId: "starter" }, { billingAnchorMs: Date.parse("2026-11-01T00:00:00Z") });
    expect(versions(first, "starter")).toEqual([1]);

    const raised = demoWith("starter", (p) => {
      p.price = { month: 3_900 };
      p.limits = { calls: { minute: 120, day: 2_000 } };
    });
    const srv = await restart(first, raised);
    expect(versions(srv, "starter")).toEqual([1, 2]);
    // Plans whose terms did not change keep one version.
    expect(versions(srv, "business")).toEqual([1]);

    const kept = (await findAccount(srv.deps.db, srv.deps.catalog, old.id))!;
    expect(kept.plan).toMatchObject({ id: "starter", version: 1, priceMinor: 2_900 });
    expect(kept.caps).toEqual({ minute: 60, day: 1_000 });
    expect(srv.deps.meter.standing(old.id).caps).toEqual({ minute: 60, day: 1_000 });
    expect((await billingOverview(srv.deps.db, srv.deps.catalog, old.id, clock.now())).plan).toMatchObject({ priceMinor: 2_900 });

    const fresh = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "New", email: "new@example.com", planId: "starter" });
    expect(fresh.plan).toMatchObject({ version: 2, priceMinor: 3_900 });
    expect(srv.deps.catalog.plan("starter").priceMinor).toBe(3_900);
  });

  it("a command that is not the server reads the catalog the server last loaded and records nothing", async () => {
    const first = await serve(demoFile as CatalogFileInput);
    const raised = await restart(first, demoWith("starter", (p) => (p.price = { month: 3_900 })));
    const loads = () => raised.sqlite.prepare("select count(*) from catalog_loads").pluck().get();
    expect(loads()).toBe(2);
    // As `headroom accounts list` without CATALOG_PATH would: the demo file is given, the provider's is used.
    const cli = await createRuntime({ config: raised.deps.config, catalog: parseCatalog(demoFile), clock, logger: createLogger("silent"), recordCatalog: false });
    try {
      expect(cli.deps.catalog.plan("starter")).toMatchObject({ version: 2, priceMinor: 3_900 });
      expect(cli.deps.catalog.planAt("starter", 1).priceMinor).toBe(2_900);
    } finally {
      await cli.database.close();
    }
    expect(loads()).toBe(2);
    expect(versions(raised, "starter")).toEqual([1, 2]);
  });

  it("the same file again, or only new words, adds no version", async () => {
    const first = await serve(demoFile as CatalogFileInput);
    const again = await restart(first, demoFile as CatalogFileInput);
    const renamed = await restart(
      again,
      demoWith("pro", (p) => {
        p.name = "Pro Plus";
        p.summary = "Renamed.";
      }),
    );
    expect(versions(renamed, "pro")).toEqual([1]);
    expect(renamed.deps.catalog.plan("pro").name).toBe("Pro Plus");
    // Each file that differed from the last is kept (the first, then the renamed one).
    expect(renamed.sqlite.prepare("select count(*) from catalog_loads").pluck().get()).toBe(2);
  });

  it("an account on an old version can take its plan's current terms, with a quote and a consent like any change", async () => {
    const first = await serve(demoFile as CatalogFileInput);
    const acc = await createAccount(first.deps.db, first.deps.catalog, clock, { name: "Old", email: "old@example.com", planId: "starter" }, { billingAnchorMs: Date.parse("2026-11-01T00:00:00Z") });
    const srv = await restart(
      first,
      demoWith("starter", (p) => {
        p.price = { month: 3_900 };
      }),
    );
    // The operator offers the new terms: one notice with both versions in words, once; nothing else changes.
    expect(await offerCurrentTerms(srv.deps.billing, { planId: "starter", version: 1 }, "operator:test")).toEqual({ told: 1 });
    expect(await offerCurrentTerms(srv.deps.billing, { planId: "starter", version: 1 }, "operator:test")).toEqual({ told: 0 });
    const notice = srv.sqlite.prepare("select facts_json from notices where account_id = ? and kind = 'terms'").pluck().get(acc.id) as string;
    expect(JSON.parse(notice)).toMatchObject({ title: "New terms for the Starter plan", text: expect.stringContaining("now sold at: $39.00/month; API calls: 60 per minute, 1,000 per day (UTC). You keep your terms ($29.00/month;") });
    expect(version(srv, acc.id)).toBe(1);
    expect((await srv.deps.advisor.compare(acc.id))?.newerTerms).toEqual({ version: 1, currentVersion: 2, kept: "$29.00/month; API calls: 60 per minute, 1,000 per day (UTC)", current: "$39.00/month; API calls: 60 per minute, 1,000 per day (UTC)" });
    await expect(offerCurrentTerms(srv.deps.billing, { planId: "starter", version: 2 }, "operator:test")).rejects.toThrow(/current one/);

    const q = await previewPlanChange(srv.deps.billing, { accountId: acc.id, toPlanId: "starter" });
    expect(q).toMatchObject({ fromPlanId: "starter", toPlanId: "starter", toPlanVersion: 2, timing: "now", recurringMinor: 3_900 });
    expect(q.consentText).toContain("Starter v2");
    const result = await confirmPlanChange(srv.deps.billing, acc.id, confirmationFor(q), who);
    expect(result.status).toBe("applied");
    expect(version(srv, acc.id)).toBe(2);
    expect((await srv.deps.advisor.compare(acc.id))?.newerTerms).toBeNull();
    // On the current version, the same plan is not offered again.
    await expect(previewPlanChange(srv.deps.billing, { accountId: acc.id, toPlanId: "starter" })).rejects.toThrow(/already on the Starter plan/);
  });

  it("`catalog check` says what a file changes, which plans get a version, and refuses a file that drops a plan in use", async () => {
    const srv = await serve(demoFile as CatalogFileInput);
    await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Pro", email: "pro@example.com", planId: "pro" });
    const dir = mkdtempSync(join(tmpdir(), "catalog-check-"));
    dirs.push(dir);
    const write = (name: string, file: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(file));
      return join(dir, name);
    };
    const raised = await checkCatalogFile(srv.deps.db, srv.deps.catalog, write("raised.json", demoWith("pro", (p) => (p.price = { month: 5_900 }))));
    expect(raised.data).toMatchObject({ ok: true, problems: [], newVersions: [{ planId: "pro", version: 2, accountsKeepingOlder: 1 }] });
    expect(raised.lines).toContain('  ~ plan "pro": price per month: $49.00 → $59.00');
    const withoutPro = structuredClone(demoFile) as CatalogFileInput;
    withoutPro.plans = withoutPro.plans.filter((p) => p.id !== "pro");
    const dropped = await checkCatalogFile(srv.deps.db, srv.deps.catalog, write("dropped.json", withoutPro));
    expect(dropped.data.ok).toBe(false);
    expect(dropped.data.problems).toEqual(['plan "pro" is not in the file, and 1 account is on it: keep it (with "public": false to stop offering it).']);
    const invalid = await checkCatalogFile(srv.deps.db, srv.deps.catalog, write("invalid.json", demoWith("pro", (p) => (p.price = { month: -1 }))));
    expect(invalid.data).toMatchObject({ ok: false, problems: [expect.stringMatching(/plan "pro": price.month: expected a price ≥ 0$/)] });
    // Checking changes nothing: no version was recorded.
    expect(versions(srv, "pro")).toEqual([1]);
  });

  it("a plan dropped from the file while accounts are on it stops the start, naming it", async () => {
    const first = await serve(demoFile as CatalogFileInput);
    await createAccount(first.deps.db, first.deps.catalog, clock, { name: "Pro", email: "pro@example.com", planId: "pro" });
    const withoutPro = structuredClone(demoFile) as CatalogFileInput;
    withoutPro.plans = withoutPro.plans.filter((p) => p.id !== "pro");
    await first.started.stop();
    servers.splice(servers.indexOf(first), 1);
    dirs.push(first.dir);
    await expect(serve(withoutPro, first)).rejects.toThrow(/has no plan "pro", and 1 account is on it: keep it in the file \(with "public": false/);
  });
});
