import { confirmationFor } from "../shared/consent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint, fingerprintDiff, withDb } from "./lib/db";
import { cli, createAccountWithKey, ensureStopped, rest, startServer, type ServerProcess } from "./lib/server";
import { callTrpc, customerSession, sessionCookieOf, type TrpcReply } from "./lib/trpc";

/**
 * Promises 1 and 7 against replayed and forged input: one-time links are one-time; a plan change
 * needs the exact quote the customer saw, of their own account; a confirmation sent twice (or five
 * times at once) changes the plan once and invoices once.
 *
 * Not here: quote expiry (the server's clock cannot be moved from outside; server/billing/billing.test.ts
 * "an expired quote" covers it with an injected clock), and Stripe webhooks (not built yet: there is
 * no /webhooks/stripe route).
 */
let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(() => ensureStopped(srv));

const mutation = (path: string) => ({ path, type: "mutation" as const });
type Quote = { id: string; amountDueNowMinor: number; recurringMinor: number; currency: string; timing: string; consentText: string };
const accepted = (q: Quote, tamper: Partial<{ amountDueNow: number; recurringAmount: number; currency: string }> = {}) => {
  const c = confirmationFor(q);
  return { ...c, accepted: { ...c.accepted, ...tamper } };
};
const data = <T>(r: TrpcReply) => r.json?.result?.data as T;
const counts = (quoteId: string) =>
  withDb(srv.dbPath, (db) => ({
    planChanges: db.prepare("select count(*) from plan_changes where quote_id = ?").pluck().get(quoteId) as number,
    consents: db.prepare("select count(*) from consents where quote_id = ?").pluck().get(quoteId) as number,
    invoices: db.prepare("select count(*) from invoices where dedupe_key = ?").pluck().get(`quote:${quoteId}`) as number,
  }));
const sessions = () => withDb(srv.dbPath, (db) => db.prepare("select count(*) from sessions").pluck().get() as number);

describe("replayed and forged input", () => {
  it("7a. reused / forged sign-in links → error=used|invalid, no session", async ({ task }) => {
    const acc = await createAccountWithKey(srv, "starter", "replay-link");
    const link = await rest<{ url: string }>(srv, "POST", "/v1/portal-sessions", { accountId: acc.accountId });
    expect(link.status).toBe(201);
    const url = `${srv.url}${new URL(link.json.url).pathname}${new URL(link.json.url).search}`;
    const first = await fetch(url, { redirect: "manual" });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/usage");
    expect(sessionCookieOf(first)).toMatch(/^headroom_session=.+/);
    const n = sessions();

    const again = await fetch(url, { redirect: "manual" });
    const op = await cli<{ url: string }>(srv.dir, ["operator-link"]);
    const opUrl = `${srv.url}/auth/link?token=${new URL(op.url).searchParams.get("token")}`;
    const opFirst = await fetch(opUrl, { redirect: "manual" });
    const opAgain = await fetch(opUrl, { redirect: "manual" });
    const forged = await fetch(`${srv.url}/auth/link?token=${"A".repeat(43)}`, { redirect: "manual" });
    const empty = await fetch(`${srv.url}/auth/link?token=`, { redirect: "manual" });
    // Both tabs of one link at once: one session between them.
    const raceLink = await rest<{ url: string }>(srv, "POST", "/v1/portal-sessions", { accountId: acc.accountId });
    const raceUrl = `${srv.url}${new URL(raceLink.json.url).pathname}${new URL(raceLink.json.url).search}`;
    const beforeRace = sessions();
    const race = await Promise.all(Array.from({ length: 5 }, () => fetch(raceUrl, { redirect: "manual" })));
    const raceWinners = race.filter((r) => r.headers.get("location") === "/usage").length;

    task.meta.figure =
      `reused customer link → ${again.status} ${again.headers.get("location")}; reused operator link → ${opAgain.headers.get("location")}; forged → ${forged.headers.get("location")}; ` +
      `5 tabs on one link → ${raceWinners} session(s), ${sessions() - beforeRace} new row(s)`;
    console.log(`[7a] ${task.meta.figure}`);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/sign-in?error=used");
    expect(sessionCookieOf(again)).toBe("");
    expect(opFirst.headers.get("location")).toBe("/console");
    expect(opAgain.headers.get("location")).toBe("/sign-in?error=used");
    expect(sessionCookieOf(opAgain)).toBe("");
    expect(forged.headers.get("location")).toBe("/sign-in?error=invalid");
    expect(empty.headers.get("location")).toBe("/sign-in?error=invalid");
    expect(sessions()).toBe(n + 1 + 1); // + the operator's first use, + one of the five tabs
    expect(raceWinners).toBe(1);
    expect(race.filter((r) => r.headers.get("location") === "/sign-in?error=used")).toHaveLength(4);
  });

  it("7b. confirm: foreign / tampered quote refused, replays change once", async ({ task }) => {
    const a = await createAccountWithKey(srv, "starter", "replay-a");
    const b = await createAccountWithKey(srv, "starter", "replay-b");
    const aCookie = await customerSession(srv, a.accountId);
    const bCookie = await customerSession(srv, b.accountId);
    const preview = async (cookie: string, toPlanId: string) => {
      const r = await callTrpc(srv, cookie, mutation("billing.previewPlanChange"), { value: { toPlanId } });
      expect(r.status, r.text).toBe(200);
      return data<Quote>(r);
    };
    const confirm = (cookie: string, input: unknown) => callTrpc(srv, cookie, mutation("billing.confirm"), { value: input });

    // Another account's quote, with its exact amounts: NOT_FOUND, and B's quote stays unused.
    const qB = await preview(bCookie, "pro");
    const stolen = await confirm(aCookie, accepted(qB));
    expect(stolen.status).toBe(404);
    expect(counts(qB.id)).toEqual({ planChanges: 0, consents: 0, invoices: 0 });

    // Tampered amounts or currency: CONFLICT, nothing recorded, nothing charged.
    const q1 = await preview(aCookie, "pro");
    expect(q1.timing).toBe("now");
    expect(q1.amountDueNowMinor).toBeGreaterThan(0);
    const before = fingerprint(srv.dbPath);
    const tampered = [
      await confirm(aCookie, accepted(q1, { amountDueNow: q1.amountDueNowMinor - 1 })),
      await confirm(aCookie, accepted(q1, { amountDueNow: 0 })),
      await confirm(aCookie, accepted(q1, { recurringAmount: q1.recurringMinor + 100 })),
      await confirm(aCookie, accepted(q1, { currency: q1.currency === "USD" ? "EUR" : "USD" })),
      await confirm(aCookie, { ...accepted(q1), quoteId: `${q1.id}x` }),
    ];
    const tamperDiff = fingerprintDiff(before, fingerprint(srv.dbPath));
    expect(tampered.map((r) => r.status)).toEqual([409, 409, 409, 409, 404]);
    expect(tamperDiff).toEqual([]);
    expect(counts(q1.id)).toEqual({ planChanges: 0, consents: 0, invoices: 0 });

    // The real confirmation, then the same again: the second is the first's result, replayed.
    const c1 = data<{ planChangeId: string; status: string; replayed: boolean; invoiceId: string }>(await confirm(aCookie, accepted(q1)));
    const c2 = data<{ planChangeId: string; status: string; replayed: boolean; invoiceId: string }>(await confirm(aCookie, accepted(q1)));
    expect(c1).toMatchObject({ status: "applied", replayed: false });
    expect(c2).toMatchObject({ planChangeId: c1.planChangeId, invoiceId: c1.invoiceId, replayed: true });
    expect(counts(q1.id)).toEqual({ planChanges: 1, consents: 1, invoices: 1 });

    // A double (quintuple) click: five confirmations of one quote at once.
    const q2 = await preview(aCookie, "business");
    const burst = await Promise.all(Array.from({ length: 5 }, () => confirm(aCookie, accepted(q2))));
    const burstData = burst.map((r) => data<{ planChangeId: string; replayed: boolean }>(r));
    const firsts = burstData.filter((d) => d && !d.replayed).length;
    const account = (await rest<{ plan: string }>(srv, "GET", `/v1/accounts/${a.accountId}`)).json;
    const all = withDb(srv.dbPath, (db) => ({
      changes: db.prepare("select count(*) from plan_changes where account_id = ?").pluck().get(a.accountId),
      invoices: db.prepare("select count(*) from invoices where account_id = ? and kind = 'proration'").pluck().get(a.accountId),
    }));

    task.meta.figure =
      `B's quote → ${stolen.status}; tampered → ${tampered.map((r) => r.status).join("/")} (db unchanged: ${tamperDiff.length === 0}); ` +
      `confirm twice → replayed ${c2.replayed}; 5 at once → ${burst.map((r) => r.status).join("/")}, ${firsts} first + ${burstData.length - firsts} replayed; ` +
      `A has ${all.changes} plan changes, ${all.invoices} proration invoices, plan ${account.plan}`;
    console.log(`[7b] ${task.meta.figure}`);
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(firsts).toBe(1);
    expect(new Set(burstData.map((d) => d.planChangeId)).size).toBe(1);
    expect(counts(q2.id)).toEqual({ planChanges: 1, consents: 1, invoices: 1 });
    expect(all).toEqual({ changes: 2, invoices: 2 });
    expect(account.plan).toBe("business");
    // B was never touched.
    expect((await rest<{ plan: string }>(srv, "GET", `/v1/accounts/${b.accountId}`)).json.plan).toBe("starter");
  });
});
