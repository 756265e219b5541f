import { confirmationFor, type ShownQuote } from "../shared/consent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint, fingerprintDiff, withDb } from "./lib/db";
import { bearer, createAccountWithKey, ensureStopped, FLUSH_MS, rest, SERVER_TOKEN, startServer, type ServerProcess } from "./lib/server";
import { callTrpc, customerSession, discoverProcedures, objectShape, operatorSession, type Procedure, type TrpcReply } from "./lib/trpc";

/**
 * Promise 5 (isolation): a customer session reaches only its own account; operator procedures need
 * an operator; every procedure but the public ones needs a session; every /v1 route needs the
 * server token. Account A attacks account B with B's real ids.
 */
type Acc = Awaited<ReturnType<typeof createAccountWithKey>>;
let srv: ServerProcess;
let A: Acc;
let B: Acc;
let aCookie: string;
let bCookie: string;
let opCookie: string;
let procedures: Procedure[];
const b: { noticeId: string; quoteId: string; planChangeId: string; quote: ShownQuote } = { noticeId: "", quoteId: "", planChangeId: "", quote: { id: "", amountDueNowMinor: 0, recurringMinor: 0, currency: "", consentText: "" } };
/** Every body answered to A's session, to no session, or to a wrong token: none may hold B's data. */
const seenByOthers: Array<{ what: string; text: string }> = [];

const ok = (r: TrpcReply, what: string) => {
  if (r.status !== 200) throw new Error(`${what} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json!.result!.data as Record<string, unknown>;
};
const mutation = (path: string) => ({ path, type: "mutation" as const });
const query = (path: string) => ({ path, type: "query" as const });

beforeAll(async () => {
  srv = await startServer();
  A = await createAccountWithKey(srv, "pro", "alice");
  B = await createAccountWithKey(srv, "pro", "bob");
  aCookie = await customerSession(srv, A.accountId);
  bCookie = await customerSession(srv, B.accountId);
  opCookie = await operatorSession(srv);
  procedures = await discoverProcedures();

  // B's notice: 500 of the Pro plan's 600 calls a minute is past 80%; detection runs after a flush.
  expect((await rest(srv, "POST", "/v1/check", { key: B.key, cost: 500 })).status).toBe(200);
  for (let i = 0; i < 40 && !b.noticeId; i++) {
    await new Promise((r) => setTimeout(r, FLUSH_MS));
    const list = ok(await callTrpc(srv, bCookie, query("notices.list"), null), "B notices.list") as unknown as Array<{ id: string }>;
    b.noticeId = list[0]?.id ?? "";
  }
  expect(b.noticeId, "B got a notice").not.toBe("");
  // B's scheduled downgrade (Pro → Starter at the period end), then an unconfirmed quote (→ Business).
  const down = ok(await callTrpc(srv, bCookie, mutation("billing.previewPlanChange"), { value: { toPlanId: "starter" } }), "B preview starter");
  const confirmed = ok(
    await callTrpc(srv, bCookie, mutation("billing.confirm"), {
      value: confirmationFor(down as unknown as ShownQuote),
    }),
    "B confirm starter",
  );
  expect(confirmed.status).toBe("scheduled");
  b.planChangeId = confirmed.planChangeId as string;
  const up = ok(await callTrpc(srv, bCookie, mutation("billing.previewPlanChange"), { value: { toPlanId: "business" } }), "B preview business");
  b.quoteId = up.id as string;
  b.quote = up as unknown as ShownQuote;
});
afterAll(() => ensureStopped(srv));

/** B's data that A must never see. */
const bSecrets = () => [B.email, B.name, B.accountId, B.prefix, B.key];
const leaks = () => seenByOthers.filter((s) => bSecrets().some((secret) => s.text.includes(secret))).map((s) => `${s.what}: ${s.text.slice(0, 200)}`);

describe("authorisation matrix", () => {
  it("6a. A's session with B's ids → NOT_FOUND, B unchanged, no leak", async ({ task }) => {
    // Every customer procedure that takes an id gets B's; a new one with an id field must be added here.
    const attacks: Record<string, unknown> = {
      "keys.revoke": { keyId: B.keyId },
      "notices.dismiss": { noticeId: b.noticeId },
      "notices.seen": { noticeId: b.noticeId },
      "billing.confirm": confirmationFor(b.quote),
      "billing.cancelScheduled": { planChangeId: b.planChangeId },
      "billing.rate": { planChangeId: b.planChangeId, score: 10 },
      "billing.quote": { id: b.quoteId },
    };
    // (Plan ids name the catalog, not something an account owns.)
    const withIds = procedures.filter((p) => p.role === "customer" && Object.keys(objectShape(p.input) ?? {}).some((f) => /id$/i.test(f) && !/planid$/i.test(f)));
    expect(withIds.map((p) => p.path).filter((p) => !(p in attacks)), "customer procedures taking an id that this test does not attack yet").toEqual([]);

    const before = fingerprint(srv.dbPath);
    const results: string[] = [];
    for (const [path, input] of Object.entries(attacks)) {
      const p = procedures.find((x) => x.path === path);
      if (!p) continue; // a procedure that no longer exists
      const r = await callTrpc(srv, aCookie, p, { value: input });
      seenByOthers.push({ what: `A ${path}`, text: r.text });
      results.push(`${path} → ${r.status} ${r.json?.error?.data?.code ?? ""}`);
      expect(r.status, `${path} with B's id: ${r.text.slice(0, 200)}`).toBe(404);
      expect(r.json?.error?.data?.code).toBe("NOT_FOUND");
    }
    // Customer procedures take the account from the session: an accountId in the input changes nothing.
    // (Those that need an id of the account's own were attacked above.)
    for (const p of procedures.filter((x) => x.role === "customer" && x.type === "query" && !(x.path in attacks))) {
      const r = await callTrpc(srv, aCookie, p, { value: { accountId: B.accountId } });
      seenByOthers.push({ what: `A ${p.path} {accountId: B}`, text: r.text });
      const plain = await callTrpc(srv, aCookie, p, null);
      seenByOthers.push({ what: `A ${p.path}`, text: plain.text });
      expect(plain.status, `${p.path}: ${plain.text.slice(0, 200)}`).toBe(200);
    }
    const diff = fingerprintDiff(before, fingerprint(srv.dbPath));

    // B is as it was: its key works, its notice is not dismissed, its change is scheduled, its quote unused.
    const bCheck = await rest<{ allowed: boolean }>(srv, "POST", "/v1/check", { key: B.key });
    const bNotices = ok(await callTrpc(srv, bCookie, query("notices.list"), null), "B notices") as unknown as Array<{ id: string; dismissedAtMs: number | null }>;
    const state = withDb(srv.dbPath, (db) => ({
      change: db.prepare("select status from plan_changes where id = ?").pluck().get(b.planChangeId),
      quoteUsed: db.prepare("select count(*) from plan_changes where quote_id = ?").pluck().get(b.quoteId),
      consents: db.prepare("select count(*) from consents where quote_id = ?").pluck().get(b.quoteId),
    }));
    // The secrets are real: B's own answers and the operator's list show them.
    const bMe = await callTrpc(srv, bCookie, query("session.me"), null);
    const opAccounts = await callTrpc(srv, opCookie, query("operator.accounts"), null);

    task.meta.figure = `${results.join(", ")}; database changes: ${diff.length ? diff.join("; ") : "none"}; leaks of B's data: ${leaks().length}`;
    console.log(`[6a] ${task.meta.figure}`);
    expect(diff).toEqual([]);
    expect(bCheck.status).toBe(200);
    expect(bCheck.json.allowed).toBe(true);
    expect(bNotices.find((n) => n.id === b.noticeId)?.dismissedAtMs).toBeNull();
    expect(state).toEqual({ change: "scheduled", quoteUsed: 0, consents: 0 });
    expect(bMe.text).toContain(B.email);
    expect(opAccounts.text).toContain(B.email);
    expect(leaks()).toEqual([]);
  });

  it("6b. every procedure × wrong role → 403, × no/forged session → 401", async ({ task }) => {
    const wrong: string[] = [];
    const counts = { customerToOperator: 0, operatorToCustomer: 0, none: 0 };
    for (const p of procedures) {
      if (p.role === "operator") {
        const r = await callTrpc(srv, aCookie, p, { value: {} });
        seenByOthers.push({ what: `A ${p.path}`, text: r.text });
        counts.customerToOperator++;
        if (r.status !== 403) wrong.push(`customer → ${p.path}: ${r.status}`);
      }
      if (p.role === "customer") {
        const r = await callTrpc(srv, opCookie, p, { value: {} });
        counts.operatorToCustomer++;
        if (r.status !== 403) wrong.push(`operator → ${p.path}: ${r.status}`);
      }
      if (p.role === "customer" || p.role === "operator") {
        const r = await callTrpc(srv, null, p, { value: {} });
        seenByOthers.push({ what: `no session ${p.path}`, text: r.text });
        counts.none++;
        if (r.status !== 401) wrong.push(`no session → ${p.path}: ${r.status}`);
        // A session cookie that is not one (forged) is no session.
        const forged = await callTrpc(srv, "headroom_session=forged-session-id-0123456789", p, { value: {} });
        seenByOthers.push({ what: `forged session ${p.path}`, text: forged.text });
        if (forged.status !== 401) wrong.push(`forged session → ${p.path}: ${forged.status}`);
      }
    }
    expect(procedures.filter((p) => p.role === "unknown").map((p) => p.path)).toEqual([]);
    task.meta.figure = `${counts.customerToOperator} operator procedures × customer, ${counts.operatorToCustomer} customer procedures × operator, ${counts.none} × no session and × forged cookie; wrong answers: ${wrong.length}`;
    console.log(`[6b] ${task.meta.figure}\n${wrong.join("\n")}`);
    expect(counts.customerToOperator).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
    expect(leaks()).toEqual([]);
  });

  it("6c. every /v1 route × 9 wrong credentials → 401, nothing changes", async ({ task }) => {
    const doc = (await (await fetch(`${srv.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = new Set<string>([
      "POST /v1/check",
      "POST /v1/events",
      "GET /v1/plans",
      "POST /v1/accounts",
      "GET /v1/accounts/{accountId}",
      "GET /v1/accounts/{accountId}/keys",
      "POST /v1/accounts/{accountId}/keys",
      "DELETE /v1/keys/{keyId}",
      "GET /v1/accounts/{accountId}/banner",
      "POST /v1/accounts/{accountId}/banner-tokens",
      "POST /v1/portal-sessions",
    ]);
    for (const [path, methods] of Object.entries(doc.paths)) for (const m of Object.keys(methods)) if (["get", "post", "put", "patch", "delete"].includes(m)) routes.add(`${m.toUpperCase()} ${path}`);
    routes.delete("GET /v1/openapi.json"); // public by design: it holds no data

    const credentials: Array<[string, Record<string, string>]> = [
      ["none", {}],
      ["wrong token", { authorization: "Bearer wrong-token-wrong-token-wrong" }],
      ["token + 1 char", { authorization: `Bearer ${SERVER_TOKEN}x` }],
      ["token − 1 char", { authorization: `Bearer ${SERVER_TOKEN.slice(0, -1)}` }],
      ["token without scheme", { authorization: SERVER_TOKEN }],
      ["Basic", { authorization: `Basic ${Buffer.from(`x:${SERVER_TOKEN}`).toString("base64")}` }],
      ["a customer's API key", { authorization: `Bearer ${A.key}` }],
      ["an operator's session cookie", { cookie: opCookie }],
      ["token in X-API-Key", { "x-api-key": SERVER_TOKEN }],
    ];
    const bodies: Record<string, unknown> = {
      "POST /v1/check": { key: A.key },
      "POST /v1/events": { events: [{ id: "authz-1", key: A.key, timestamp: Date.now() }] },
      "POST /v1/accounts": { name: "Intruder", email: "intruder@reliability.example", planId: "pro" },
      "POST /v1/accounts/{accountId}/keys": { name: "intruder" },
      "POST /v1/portal-sessions": { accountId: A.accountId },
    };
    const before = fingerprint(srv.dbPath);
    const wrong: string[] = [];
    let n = 0;
    for (const route of routes) {
      const [method, template] = route.split(" ") as [string, string];
      const path = template.replace("{accountId}", A.accountId).replace("{keyId}", A.keyId).replace(/\{[^}]+\}/g, "x");
      for (const [label, headers] of credentials) {
        const body = bodies[route] ?? (method === "POST" ? {} : undefined);
        const r = await rest(srv, method, path, body, headers);
        n++;
        seenByOthers.push({ what: `${route} with ${label}`, text: r.text });
        if (r.status !== 401) wrong.push(`${route} with ${label}: ${r.status} ${r.text.slice(0, 100)}`);
        else if (!r.headers.get("content-type")?.startsWith("application/problem+json")) wrong.push(`${route} with ${label}: 401 without problem+json`);
      }
    }
    // Wait one flush interval: a /v1/check that got through would have been written by now.
    await new Promise((r) => setTimeout(r, 3 * FLUSH_MS));
    const diff = fingerprintDiff(before, fingerprint(srv.dbPath));
    // The right token still works (the refusals were about the credentials, not the route).
    const right = await rest(srv, "GET", `/v1/accounts/${A.accountId}`, undefined, bearer);
    task.meta.figure = `${routes.size} routes × ${credentials.length} credentials = ${n} requests; not 401: ${wrong.length}; database changes: ${diff.length ? diff.join("; ") : "none"}`;
    console.log(`[6c] ${task.meta.figure}\n${wrong.join("\n")}`);
    expect(routes.size).toBeGreaterThanOrEqual(11);
    expect(wrong).toEqual([]);
    expect(diff).toEqual([]);
    expect(right.status).toBe(200);
    expect(leaks()).toEqual([]);
    // A's data is not in the 401s either (they say nothing but "send the token").
    expect(seenByOthers.filter((s) => s.what.includes(" with ") && s.text.includes(A.email))).toEqual([]);
  });
});
