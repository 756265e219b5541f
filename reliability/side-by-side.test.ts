import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { confirmationFor } from "../shared/consent";
import { withDb } from "./lib/db";
import { createAccountWithKey, ensureStopped, FLUSH_MS, rest, startScriptCommand, startServer, type ServerProcess } from "./lib/server";
import { callTrpc, customerSession, sessionCookieOf, type TrpcReply } from "./lib/trpc";

/**
 * Several processes on one SQLite file: two `start --role web` and `start --role worker` processes,
 * started as `npm start` starts one (node --import tsx server/cli.ts start), each on its own port.
 * The singleton jobs run only where their lease is held; the pause switch, revocations and
 * invoice numbers are shared through the database.
 */
const LEASE_MS = 3_000;
const ADMIN_TOKEN = "reliability-admin-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "headroom-rel-side-"));
const all: ServerProcess[] = [];

async function start(role: "web" | "worker"): Promise<ServerProcess> {
  const srv = await startServer({ dir, command: [...startScriptCommand(), "--role", role], env: { JOB_LEASE_MS: String(LEASE_MS), HEADROOM_ADMIN_TOKEN: ADMIN_TOKEN } });
  all.push(srv);
  return srv;
}

afterAll(async () => {
  // Every process stops before the shared directory goes.
  await Promise.all(
    all.map(async (p) => {
      if (!p.alive()) return;
      const timer = setTimeout(() => void p.sigkill(), 6_000);
      await p.sigterm();
      clearTimeout(timer);
    }),
  );
  for (const p of all) await ensureStopped(p);
});

const dbPath = join(dir, "headroom.db");
/** A write from outside, as an operator's script would make it (the servers' clocks cannot be moved). */
function write(sql: string, ...params: unknown[]): void {
  const db = new Database(dbPath);
  db.pragma("busy_timeout = 2000");
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}
const leases = () => withDb(dbPath, (db) => db.prepare("select job, holder from job_leases order by job").all() as Array<{ job: string; holder: string }>);
const periodInvoices = (accountId: string) =>
  withDb(dbPath, (db) => db.prepare("select number, period_start_ms as periodStartMs from invoices where account_id = ? and kind = 'period'").all(accountId) as Array<{ number: string; periodStartMs: number }>);
const health = async (srv: ServerProcess) => (await rest<{ status: string; role: string; holder: string; jobs: string[] }>(srv, "GET", "/healthz")).json;

/** Polls `probe` until it returns a value, up to `deadlineMs`; resolves with it and how long it took. */
async function until<T>(probe: () => Promise<T | null> | T | null, deadlineMs: number, stepMs = 20): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== null) return { value, ms: performance.now() - t0 };
    if (performance.now() - t0 > deadlineMs) throw new Error(`not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The Free plan starts no period invoice worth issuing; Starter's 30 days ago has one due now. */
const PAST = 40 * 86_400_000;
const JOBS = ["billing-cycle", "notice-delivery", "prune-ids"];

describe("processes side by side on one database", () => {
  it("web processes run no singleton job; the worker invoices once; pause, revocation and leases are shared", async ({ task }) => {
    const figures: string[] = [];
    const webA = await start("web");
    const x = await createAccountWithKey(webA, "starter", "side-x");
    const y = await createAccountWithKey(webA, "starter", "side-y");
    const z = await createAccountWithKey(webA, "starter", "side-z");
    // x and y have lived through a period boundary: their period invoice is due.
    write("update accounts set billing_anchor_ms = ? where id in (?, ?)", Date.now() - PAST, x.accountId, y.accountId);

    // (a) A web process that started with invoices due issues none (a process with the billing
    // cycle runs it before it prints its start-up line), and takes no lease.
    const webB = await start("web");
    expect(periodInvoices(x.accountId)).toEqual([]);
    expect(leases()).toEqual([]);

    // The worker takes every lease and runs the cycle at once: one invoice per account and period.
    const worker1 = await start("worker");
    const w1 = await health(worker1);
    expect(w1).toMatchObject({ status: "ok", role: "worker" });
    expect(leases()).toEqual(JOBS.map((job) => ({ job, holder: w1.holder })));
    expect(periodInvoices(x.accountId)).toHaveLength(1);
    expect(periodInvoices(y.accountId)).toHaveLength(1);
    // A worker serves nothing but /healthz.
    expect((await rest(worker1, "GET", `/v1/accounts/${x.accountId}`)).status).toBe(404);

    // (b) Billing paused through web A's console; a plan change confirmed through web B is queued, not charged.
    const signIn = await fetch(`${webA.url}/trpc/session.operatorSignIn`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: webA.publicUrl },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(signIn.status).toBe(200);
    const operator = sessionCookieOf(signIn);
    const paused = await callTrpc(webA, operator, { path: "operator.setBillingPaused", type: "mutation" }, { value: { paused: true } });
    expect(paused.status, paused.text).toBe(200);
    const customer = await customerSession(webB, z.accountId);
    const data = <T>(r: TrpcReply) => r.json?.result?.data as T;
    const quote = await callTrpc(webB, customer, { path: "billing.previewPlanChange", type: "mutation" }, { value: { toPlanId: "business" } });
    expect(quote.status, quote.text).toBe(200);
    const q = data<{ id: string; amountDueNowMinor: number; recurringMinor: number; currency: string; consentText: string; timing: string }>(quote);
    expect(q).toMatchObject({ timing: "now" });
    expect(q.amountDueNowMinor).toBeGreaterThan(0);
    const confirmed = await callTrpc(webB, customer, { path: "billing.confirm", type: "mutation" }, { value: confirmationFor(q) });
    expect(confirmed.status, confirmed.text).toBe(200);
    const change = data<{ status: string; invoiceId: string }>(confirmed);
    const invoiceStatus = () => withDb(dbPath, (db) => db.prepare("select status from invoices where id = ?").pluck().get(change.invoiceId));
    expect(change.status).toBe("applied");
    expect(invoiceStatus()).toBe("queued");
    // Resumed through web B: the invoice queued by B while A's click held is collected.
    const resumed = await callTrpc(webB, operator, { path: "operator.setBillingPaused", type: "mutation" }, { value: { paused: false } });
    expect(data<{ collected: number }>(resumed).collected).toBe(1);
    expect(invoiceStatus()).toBe("paid");
    figures.push(`paused on A → B's upgrade invoice queued, collected on resume`);

    // (c) A key revoked through web A is refused by web B within one flush interval.
    const check = (srv: ServerProcess) => rest(srv, "POST", "/v1/check", { key: y.key });
    expect((await check(webB)).status).toBe(200); // B has the key in its cache now
    const revoked = await rest(webA, "DELETE", `/v1/keys/${y.keyId}`);
    expect(revoked.status).toBe(200);
    const refused = await until(async () => ((await check(webB)).status === 401 ? true : null), 5_000);
    figures.push(`revoked on A → refused by B after ${Math.round(refused.ms)} ms (flush ${FLUSH_MS} ms)`);
    // The check runs on B's flush timer; the rest is the poll's own step and the two processes' scheduling.
    expect(refused.ms).toBeLessThan(FLUSH_MS + 500);

    // (a) The worker restarted: its leases were released at its stop; the new one runs the cycle at
    // once (z, now due, is invoiced), and x and y still have one invoice for their period.
    expect((await worker1.sigterm()).code).toBe(0);
    expect(leases()).toEqual([]);
    write("update accounts set billing_anchor_ms = ? where id = ?", Date.now() - PAST, z.accountId);
    const worker2 = await start("worker");
    const w2 = await health(worker2);
    expect(leases()).toEqual(JOBS.map((job) => ({ job, holder: w2.holder })));
    expect(periodInvoices(z.accountId)).toHaveLength(1);
    expect(periodInvoices(x.accountId)).toHaveLength(1);
    expect(periodInvoices(y.accountId)).toHaveLength(1);
    const numbers = withDb(dbPath, (db) => db.prepare("select number from invoices").pluck().all() as string[]);
    expect(new Set(numbers).size).toBe(numbers.length);
    figures.push(`${numbers.length} invoices from 3 processes, numbers ${numbers.sort().join(", ")}`);

    // (d) A second worker waits; when the holder stops gracefully, it takes every job at its next renewal.
    const worker3 = await start("worker");
    const w3 = await health(worker3);
    expect(w3.jobs).toEqual([]);
    expect((await worker2.sigterm()).code).toBe(0);
    const moved = await until(() => (leases().filter((l) => l.holder === w3.holder).length === JOBS.length ? true : null), 2 * LEASE_MS);
    expect((await health(worker3)).jobs.sort()).toEqual(JOBS);
    figures.push(`graceful stop → leases on the other worker after ${Math.round(moved.ms)} ms (lease ${LEASE_MS} ms, renewed every ${LEASE_MS / 3} ms)`);

    // A holder killed outright releases nothing: on this host its pid is gone, so the next renewal elsewhere takes over.
    const worker4 = await start("worker");
    const w4 = await health(worker4);
    await worker3.sigkill();
    const crashed = await until(() => (leases().filter((l) => l.holder === w4.holder).length === JOBS.length ? true : null), 2 * LEASE_MS);
    figures.push(`kill -9 → leases on the last worker after ${Math.round(crashed.ms)} ms`);
    // Both web processes served throughout and hold no lease.
    expect(leases().every((l) => l.holder === w4.holder)).toBe(true);
    expect((await rest(webA, "GET", "/healthz")).status).toBe(200);
    expect((await rest(webB, "GET", "/healthz")).status).toBe(200);

    task.meta.figure = figures.join("; ");
    console.log(`[side by side] ${task.meta.figure}`);
  });
});
