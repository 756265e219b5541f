import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyValue, bodyOf, contentType, nearValid, pathSegment, plausible, rawBody, scalar } from "./lib/arbitraries";
import { fingerprint, fingerprintDiff, type Fingerprint } from "./lib/db";
import { bearer, createAccountWithKey, ensureStopped, errorLogLines, FLUSH_MS, healthz, startServer, type ServerProcess } from "./lib/server";
import { callTrpc, customerSession, discoverProcedures, importSource, operatorSession, type Procedure, type SchemaLike } from "./lib/trpc";

/**
 * Promise 8: bad input gets a clear 4xx, never a 500, never a crash, and nothing stored changes.
 * fast-check generates the bodies of every REST route and the inputs of every tRPC procedure.
 *
 * The database is fingerprinted (row counts and a hash of every row of every table) around each
 * endpoint's run of *rejected-only* requests. Where valid random input could legitimately change
 * data, the arbitraries are filtered with the server's own zod schema so that only invalid input is
 * sent (accounts, keys, portal sessions, tRPC inputs), or aimed at ids that do not exist; a request
 * that is nevertheless accepted is itself reported. Mutations without an input parser (session.signOut)
 * cannot be sent invalid input and are left out of the fingerprinted runs while a session is used.
 * A last run sends plausible, mostly valid input (accepted changes allowed) and checks only for 5xx.
 */
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2_147_483_647);
const REST_RUNS = 200;
const TRPC_RUNS = 100;
const FORBIDDEN_RUNS = 15;
const ACCEPTED_RUNS = 40;
const REQUEST_TIMEOUT_MS = 15_000;

let srv: ServerProcess;
let customer: Awaited<ReturnType<typeof createAccountWithKey>>;
let customerCookie: string;
let operatorCookie: string;
let procedures: Procedure[];
// The server's own request schemas (from the snapshot it runs), to keep only invalid input where valid input would change data.
let createAccountInput: { safeParse(v: unknown): { success: boolean; data?: { email: string } } };
let checkRequest: SchemaLike;
let createKeyBody: SchemaLike;
let eventsRequest: SchemaLike;
let portalSessionBody: SchemaLike;
const problems: string[] = [];
const fingerprintChanges: string[] = [];
let requests = 0;
const statuses = new Map<string, number>();
const tally = (group: string, status: number) => statuses.set(`${group} ${status}`, (statuses.get(`${group} ${status}`) ?? 0) + 1);
const histogram = (prefix: string) =>
  [...statuses]
    .filter(([k]) => k.startsWith(prefix))
    .map(([k, n]) => `${k.slice(prefix.length).trim()}×${n}`)
    .join(" ");

beforeAll(async () => {
  srv = await startServer();
  customer = await createAccountWithKey(srv, "pro", "fuzz");
  customerCookie = await customerSession(srv, customer.accountId);
  operatorCookie = await operatorSession(srv);
  procedures = await discoverProcedures();
  // The account schema depends on the catalog's plans: the demo's, which the server under test runs.
  const accounts = (await importSource("server/accounts/accounts.ts")) as { createAccountInput: (catalog: unknown) => typeof createAccountInput };
  const { loadCatalog } = (await importSource("server/plans/load-catalog.ts")) as { loadCatalog: () => unknown };
  createAccountInput = accounts.createAccountInput(loadCatalog());
  const schemas = (await importSource("server/http/v1-schemas.ts")) as Record<"checkRequest" | "createKeyBody" | "eventsRequest" | "portalSessionBody", SchemaLike>;
  ({ checkRequest, createKeyBody, eventsRequest, portalSessionBody } = schemas);
});
afterAll(() => ensureStopped(srv));

const short = (v: unknown) => {
  const s = typeof v === "string" ? v : v instanceof Uint8Array ? `bytes[${Buffer.from(v).toString("hex").slice(0, 40)}]` : JSON.stringify(v);
  return (s ?? String(v)).slice(0, 160);
};

/** Runs `fn` and reports the tables it changed (after `settleMs`, e.g. for the meter's next flush). */
async function unchanged(label: string, fn: () => Promise<void>, settleMs = 0): Promise<void> {
  const before: Fingerprint = fingerprint(srv.dbPath);
  await fn();
  if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
  const diff = fingerprintDiff(before, fingerprint(srv.dbPath));
  if (diff.length) fingerprintChanges.push(`${label}: ${diff.join("; ")}`);
}

/** Runs a fast-check property; a counterexample (shrunk) becomes a problem instead of stopping the suite. */
async function check<T>(label: string, arb: fc.Arbitrary<T>, runs: number, send: (v: T) => Promise<string | null>): Promise<void> {
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (v) => {
        requests++;
        const problem = await send(v);
        if (problem) throw new Error(problem);
      }),
      // No shrinking: a failing input can be slow (see regressions.test.ts), and shrinking would repeat it.
      { numRuns: runs, seed: SEED, endOnFailure: true },
    );
  } catch (err) {
    const msg = String((err as Error).message);
    const counterexample = msg.match(/Counterexample: (.*)/)?.[1] ?? "";
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : msg.slice(0, 300);
    problems.push(`${label}: ${cause} — input ${counterexample.slice(0, 200)}`);
    // A request that timed out may have left the server busy: wait for it before the next endpoint.
    for (let i = 0; i < 90 && !(await healthz(srv)); i++) await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function send(method: string, path: string, body: unknown, type: string | undefined, headers: Record<string, string> = bearer) {
  const payload = body === undefined ? undefined : body instanceof Uint8Array || typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: { ...headers, ...(type ? { "content-type": type } : {}) },
    body: payload as BodyInit | undefined,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  tally("rest", res.status);
  return { status: res.status, text };
}

const parsesTo = (raw: string | Uint8Array): unknown => {
  try {
    return JSON.parse(typeof raw === "string" ? raw : Buffer.from(raw).toString("utf8"));
  } catch {
    return undefined;
  }
};

describe("fuzzing every input", () => {
  it("5a. fuzz REST bodies and path ids → only 4xx, database unchanged", async ({ task }) => {
    const realKey = fc.constant(customer.key);
    const key = fc.oneof(realKey, fc.string().map((s) => `hr_live_${s}`), scalar);
    const id = fc.oneof(fc.string({ maxLength: 40 }), scalar);
    const account = fc.oneof(fc.constant(customer.accountId), fc.string().map((s) => `acc_${s}`), scalar);
    const isJsonType = (t: string | undefined) => t !== undefined && t.startsWith("application/json") && !t.includes("latin1");

    // One case per request: a JSON value (shaped like the body or anything) or raw bytes, with a content type.
    const cases = (shaped: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.record({ body: shaped, raw: fc.constant(false), type: contentType }) },
        { weight: 1, arbitrary: fc.record({ body: rawBody as fc.Arbitrary<unknown>, raw: fc.constant(true), type: contentType }) },
      );
    // What the server parses: raw bytes, and a string value too, go on the wire as they are (send() does not
    // JSON-encode a string), so an empty string is a body-less request.
    const valueOf = (c: { body: unknown; raw: boolean }) => (c.raw || typeof c.body === "string" ? parsesTo(c.body as string | Uint8Array) : c.body);
    const fourXX = (label: string, c: { body: unknown }, r: { status: number; text: string }) =>
      r.status >= 400 && r.status < 500 ? null : `${label} answered ${r.status} ${r.text.slice(0, 160)} to ${short(c.body)}`;

    await unchanged("POST /v1/check", () =>
      check(
        "POST /v1/check",
        cases(bodyOf({ key, cost: fc.oneof(scalar, fc.integer()), id })).filter((c) => {
          const v = valueOf(c);
          return !(checkRequest.safeParse(v).success && (v as { key: string }).key === customer.key);
        }),
        REST_RUNS,
        async (c) => fourXX("POST /v1/check", c, await send("POST", "/v1/check", c.body, c.type)),
      ),
      3 * FLUSH_MS,
    );

    const event = bodyOf({ id, key, cost: fc.oneof(scalar, fc.integer()), timestamp: fc.oneof(scalar, fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer()) });
    await unchanged("POST /v1/events", () =>
      check(
        "POST /v1/events",
        cases(fc.oneof(bodyOf({ events: fc.oneof(fc.array(event, { maxLength: 5 }), anyValue) }), anyValue)).filter((c) => {
          const v = valueOf(c);
          return !(eventsRequest.safeParse(v).success && (v as { events: Array<{ key: string }> }).events.some((e) => e.key === customer.key));
        }),
        REST_RUNS,
        async (c) => {
          const r = await send("POST", "/v1/events", c.body, c.type);
          // A well-formed batch is answered 200 with each event rejected (unknown keys): accepted must be 0.
          if (r.status === 200) return (JSON.parse(r.text) as { accepted: number }).accepted === 0 ? null : `POST /v1/events accepted ${r.text} for ${short(c.body)}`;
          return fourXX("POST /v1/events", c, r);
        },
      ),
      3 * FLUSH_MS,
    );

    const email = fc.oneof(fc.emailAddress(), fc.constant(customer.email), scalar);
    const planId = fc.oneof(fc.constantFrom("free", "starter", "pro", "business", "enterprise", "FREE", "pro "), scalar);
    await unchanged("POST /v1/accounts", () =>
      check(
        "POST /v1/accounts",
        cases(bodyOf({ name: fc.oneof(fc.string({ unit: "grapheme" }), scalar), email, planId })).filter((c) => {
          const v = isJsonType(c.type) ? valueOf(c) : undefined;
          // A valid body for an e-mail already taken is refused too (409), so it may stay.
          const parsed = createAccountInput.safeParse(v);
          return !parsed.success || parsed.data!.email === customer.email;
        }),
        REST_RUNS,
        async (c) => fourXX("POST /v1/accounts", c, await send("POST", "/v1/accounts", c.body, c.type)),
      ),
    );

    // A body-less or non-JSON request to the real account is valid (a key named "Default key"): those go to unknown accounts.
    await unchanged("POST /v1/accounts/:id/keys", () =>
      check(
        "POST /v1/accounts/:id/keys",
        fc.tuple(cases(bodyOf({ name: fc.oneof(fc.string({ unit: "grapheme" }), scalar) })), fc.oneof(fc.constant(customer.accountId), pathSegment)).filter(([c, path]) => {
          if (path !== customer.accountId) return true;
          const v = valueOf(c);
          return isJsonType(c.type) && !c.raw && v !== undefined && !createKeyBody.safeParse(v).success;
        }),
        REST_RUNS,
        async ([c, path]) => fourXX(`POST /v1/accounts/${path}/keys`, c, await send("POST", `/v1/accounts/${path}/keys`, c.body, c.type)),
      ),
    );

    await unchanged("POST /v1/portal-sessions", () =>
      check(
        "POST /v1/portal-sessions",
        cases(bodyOf({ accountId: account, returnUrl: fc.oneof(fc.webUrl(), fc.constantFrom("javascript:alert(1)", "//evil.example", "http://", "ftp://x.example/"), scalar) })).filter((c) => {
          const v = valueOf(c);
          return !(portalSessionBody.safeParse(v).success && (v as { accountId: string }).accountId === customer.accountId);
        }),
        REST_RUNS,
        async (c) => fourXX("POST /v1/portal-sessions", c, await send("POST", "/v1/portal-sessions", c.body, c.type)),
      ),
    );

    // Ids in paths: unknown ids (never the real ones, which would be served or revoked).
    const unknownId = pathSegment.filter((s) => s !== customer.accountId && s !== customer.keyId);
    for (const [method, template] of [
      ["GET", "/v1/accounts/:id"],
      ["GET", "/v1/accounts/:id/keys"],
      ["GET", "/v1/accounts/:id/banner"],
      ["POST", "/v1/accounts/:id/banner-tokens"],
      ["DELETE", "/v1/keys/:id"],
    ] as const) {
      const label = `${method} ${template}`;
      await unchanged(label, () =>
        check(label, unknownId, REST_RUNS / 4, async (seg) => {
          const r = await send(method, template.replace(":id", seg), undefined, undefined);
          return r.status >= 400 && r.status < 500 ? null : `${method} ${template.replace(":id", seg)} answered ${r.status} ${r.text.slice(0, 160)}`;
        }),
      );
    }

    // The fingerprint is sensitive: one accepted request (a new key) shows up in it.
    const before = fingerprint(srv.dbPath);
    expect((await send("POST", `/v1/accounts/${customer.accountId}/keys`, { name: "fingerprint probe" }, "application/json")).status).toBe(201);
    expect(fingerprintDiff(before, fingerprint(srv.dbPath)).map((d) => d.split(":")[0])).toContain("api_keys");

    task.meta.figure = `seed ${SEED}: ${requests} requests (${histogram("rest")}); ${problems.length} endpoints with a non-4xx answer; ${fingerprintChanges.length} with a database change`;
    console.log(`[5a] ${task.meta.figure}\n${[...problems, ...fingerprintChanges].join("\n")}`);
    expect(problems).toEqual([]);
    expect(fingerprintChanges).toEqual([]);
    expect(srv.alive()).toBe(true);
  });

  it("5b. fuzz every tRPC procedure × 3 sessions → 4xx, database unchanged", async ({ task }) => {
    problems.length = 0;
    fingerprintChanges.length = 0;
    requests = 0;
    expect(procedures.length).toBeGreaterThan(20);
    expect(procedures.filter((p) => p.role === "unknown").map((p) => p.path), "procedures whose role the source does not say").toEqual([]);
    const pool = fc.oneof(fc.constantFrom(customer.accountId, customer.keyId, "free", "starter", "pro", "business", "enterprise", "minute", "day", "month", "shadow", "enforce", "off", "USD"), fc.string({ maxLength: 20 }));
    const sessions = [
      { name: "customer", cookie: customerCookie as string | null, role: "customer" },
      { name: "operator", cookie: operatorCookie as string | null, role: "operator" },
      { name: "no session", cookie: null, role: "none" },
    ];
    let skipped: string[] = [];
    for (const s of sessions) {
      for (const p of procedures) {
        const callable = p.role === "public" || p.role === s.role;
        const label = `${s.name} → ${p.type} ${p.path}`;
        if (callable && !p.input && p.type === "mutation" && s.cookie) {
          skipped.push(label);
          continue;
        }
        const schema = p.input as SchemaLike | null;
        const invalid = (v: unknown) => !schema || !callable || !schema.safeParse(v).success;
        // A JSON input (near-valid or anything) or raw text; only what the schema refuses when it could be accepted.
        const arb = fc.oneof(
          { weight: 4, arbitrary: nearValid(schema ?? undefined, pool).map((v) => ({ value: v }) as { value: unknown } | { raw: string }) },
          { weight: 1, arbitrary: rawBody.map((r) => ({ raw: typeof r === "string" ? r : Buffer.from(r).toString("latin1") }) as { value: unknown } | { raw: string }) },
        ).filter((i) => ("raw" in i ? parsesTo(i.raw) === undefined || invalid(parsesTo(i.raw)) : invalid(i.value)));
        const runs = callable && schema ? TRPC_RUNS : FORBIDDEN_RUNS;
        await unchanged(label, () =>
          check(label, arb, runs, async (input) => {
            const r = await callTrpc(srv, s.cookie, p, input);
            tally(`trpc ${s.name}:`, r.status);
            if (r.status >= 500) return `${label} answered ${r.status} ${r.text.slice(0, 200)} to ${short("raw" in input ? input.raw : input.value)}`;
            // Accepted only where the input is ignored (a query without an input parser that this session may call).
            if (r.status < 400 && !(callable && !schema)) return `${label} accepted ${short("raw" in input ? input.raw : input.value)}: ${r.status} ${r.text.slice(0, 200)}`;
            // (Or a size limit of the HTTP layer, which answers before anything else: 413, 414, 431.)
            if (!callable && r.status !== (s.cookie ? 403 : 401) && ![413, 414, 431].includes(r.status)) return `${label} answered ${r.status} (expected ${s.cookie ? 403 : 401}) ${r.text.slice(0, 120)}`;
            // The session must be what gets the call through to the input validation, not refused before it.
            if (callable && p.role !== "public" && (r.status === 401 || r.status === 403)) return `${label} refused its own session: ${r.status} ${r.text.slice(0, 120)}`;
            return null;
          }),
        );
      }
    }
    // Requests the SPA never makes: wrong method, unknown path, batches, and cross-site or non-JSON mutations
    // (a CSRF guard failing here would create a key: the fingerprint would show it).
    const revoke = encodeURIComponent(JSON.stringify({ keyId: "key_nope" }));
    const create = JSON.stringify({ name: "csrf" });
    // Each with the answers it may get: `null` = any 4xx (or 200 where the procedures read only and take no input).
    const json = { "content-type": "application/json", origin: srv.publicUrl };
    const extras: Array<[string, string, RequestInit, number[] | null]> = [
      ["GET on a mutation", `/trpc/keys.revoke?input=${revoke}`, {}, [405]],
      ["POST on a query", "/trpc/keys.list", { method: "POST", headers: json, body: "{}" }, [405]],
      ["unknown procedure", "/trpc/keys.nope", {}, [404]],
      ["path traversal", "/trpc/..%2Fv1%2Faccounts", {}, [404]],
      ["batch of two mutations", "/trpc/keys.revoke,notices.dismiss?batch=1", { method: "POST", headers: json, body: JSON.stringify({ 0: { keyId: "x" }, 1: { noticeId: "y" } }) }, null],
      ["batch of queries without input, with a garbage input", "/trpc/keys.list,usage.overview?batch=1&input=garbage", {}, [200, 400]],
      ["batch of 400 queries", `/trpc/${Array(400).fill("keys.list").join(",")}?batch=1`, {}, [200, 400, 413, 414, 431]],
      ["mutation as a form post", "/trpc/keys.create", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: srv.publicUrl }, body: "name=csrf" }, [403]],
      ["mutation as text/plain", "/trpc/keys.create", { method: "POST", headers: { "content-type": "text/plain", origin: srv.publicUrl }, body: create }, [403]],
      ["mutation from another origin", "/trpc/keys.create", { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example" }, body: create }, [403]],
      ["mutation with origin null", "/trpc/keys.create", { method: "POST", headers: { "content-type": "application/json", origin: "null" }, body: create }, [403]],
      ["mutation with Sec-Fetch-Site: cross-site", "/trpc/keys.create", { method: "POST", headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" }, body: create }, [403]],
    ];
    await unchanged("odd tRPC requests", async () => {
      for (const [label, path, init, allowed] of extras) {
        requests++;
        const res = await fetch(`${srv.url}${path}`, { ...init, headers: { cookie: customerCookie, ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const text = await res.text();
        tally("trpc customer:", res.status);
        const fine = allowed ? allowed.includes(res.status) : res.status >= 400 && res.status < 500;
        if (!fine) problems.push(`${label}: ${res.status} (expected ${allowed?.join(" or ") ?? "4xx"}) ${text.slice(0, 160)}`);
      }
    });

    task.meta.figure =
      `seed ${SEED}: ${procedures.length} procedures × 3 sessions, ${requests} calls (customer ${histogram("trpc customer:")}; operator ${histogram("trpc operator:")}; none ${histogram("trpc no session:")}); ` +
      `${problems.length} with a 5xx or wrong status; ${fingerprintChanges.length} with a database change; not fuzzed with a session: ${skipped.join(", ")}`;
    console.log(`[5b] ${task.meta.figure}\n${[...problems, ...fingerprintChanges].join("\n")}`);
    skipped = [];
    expect(problems).toEqual([]);
    expect(fingerprintChanges).toEqual([]);
    expect(srv.alive()).toBe(true);
  });

  it("5c. fuzz plausible input everywhere → no 5xx, server alive, no errors", async ({ task }) => {
    problems.length = 0;
    requests = 0;
    const pool = fc.oneof(fc.constantFrom(customer.accountId, customer.keyId, "free", "starter", "pro", "business", "enterprise", "minute", "day", "month", "shadow", "enforce", "USD"), fc.string({ maxLength: 20 }));
    let accepted = 0;
    const restCases: Array<[string, string, fc.Arbitrary<unknown>]> = [
      ["POST", "/v1/check", plausible(checkRequest, fc.oneof(fc.constant(customer.key), pool))],
      ["POST", "/v1/events", fc.record({ events: fc.array(fc.record({ id: fc.uuid(), key: fc.constant(customer.key), cost: fc.integer({ min: 1, max: 5 }), timestamp: fc.integer({ min: Date.now() - 30 * 3_600_000, max: Date.now() + 10 * 60_000 }) }), { minLength: 1, maxLength: 5 }) })],
      ["POST", "/v1/accounts", fc.record({ name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 130 }), email: fc.emailAddress(), planId: fc.constantFrom("free", "starter", "pro", "business", "enterprise") })],
      ["POST", `/v1/accounts/${customer.accountId}/keys`, fc.record({ name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 90 }) })],
      ["POST", "/v1/portal-sessions", fc.record({ accountId: fc.constant(customer.accountId), returnUrl: fc.webUrl() }, { requiredKeys: ["accountId"] })],
    ];
    for (const [method, path, arb] of restCases) {
      await check(`${method} ${path} (valid)`, arb, ACCEPTED_RUNS, async (body) => {
        const r = await send(method, path, body, "application/json");
        if (r.status < 300) accepted++;
        return r.status < 500 ? null : `${method} ${path} answered ${r.status} ${r.text.slice(0, 200)} to ${short(body)}`;
      });
    }
    for (const p of procedures) {
      if (!p.input || p.path === "session.signOut") continue;
      const cookie = p.role === "operator" ? operatorCookie : customerCookie;
      const arb = plausible(p.input, pool);
      await check(`${p.path} (plausible)`, arb, ACCEPTED_RUNS, async (value) => {
        const r = await callTrpc(srv, cookie, p, { value });
        if (r.status < 300) accepted++;
        return r.status < 500 ? null : `${p.path} answered ${r.status} ${r.text.slice(0, 200)} to ${short(value)}`;
      });
    }
    const healthy = await healthz(srv);
    const alive = srv.alive();
    // The logs are written in 4 KiB chunks and flushed at exit: read them after a graceful stop.
    const exit = await srv.sigterm();
    const errors = errorLogLines(srv.logs());
    task.meta.figure = `seed ${SEED}: ${requests} requests, ${accepted} accepted; ${problems.length} endpoints with a 5xx; /healthz ${healthy ? "ok" : "DOWN"}; stopped with ${exit.code}; ${errors.length} error log lines`;
    console.log(`[5c] ${task.meta.figure}\n${problems.join("\n")}\n${errors.slice(0, 5).join("\n")}`);
    expect(problems).toEqual([]);
    expect(alive).toBe(true);
    expect(healthy).toBe(true);
    expect(exit.code).toBe(0);
    expect(errors).toEqual([]);
  });
});
