import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { listAudit } from "../operator/audit-log";
import { cookieFrom, startTestServer, type TestServer } from "../testing/test-server";
import { createAccount } from "../accounts/accounts";
import { createSignInLink, operatorActor, readSession, redeemSignInLink } from "./sign-in";

const ADMIN_TOKEN = "admin-token-for-the-sign-in-test";
const clock = new ManualClock(Date.parse("2026-11-25T15:30:00Z"));
let srv: TestServer;

async function call(path: string, input: unknown, cookie = "") {
  const res = await fetch(`${srv.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: srv.url, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string; data: { code: string } } };
  return { status: res.status, cookie: cookieFrom(res), data: body.result?.data, error: body.error };
}

async function me(cookie: string) {
  const res = await fetch(`${srv.url}/trpc/session.me`, { headers: { cookie } });
  return ((await res.json()) as { result: { data: { role: string; operatorName?: string | null; returnUrl: string | null } | null } }).result.data;
}

const latestActor = async (action: string) => (await listAudit(srv.deps.db, { action, limit: 1 }))[0]?.actor;

beforeAll(async () => {
  srv = await startTestServer({ clock, env: { HEADROOM_ADMIN_TOKEN: ADMIN_TOKEN } });
});
afterAll(() => srv.stop());

describe("operator names", () => {
  it("are written as the audit actor, `operator` alone when none was given", () => {
    expect(operatorActor({ operatorName: "Dana Reyes" })).toBe("operator:Dana Reyes");
    expect(operatorActor({ operatorName: null })).toBe("operator");
  });

  it("travel from a one-time link into the session, the sign-in entry and what the operator does", async () => {
    const link = await createSignInLink(srv.deps.db, clock, { role: "operator", operatorName: "  Dana Reyes " });
    const opened = await fetch(`${srv.url}/auth/link?token=${link.token}`, { redirect: "manual" });
    const cookie = cookieFrom(opened);
    expect(await me(cookie)).toMatchObject({ role: "operator", operatorName: "Dana Reyes", returnUrl: null });
    expect(await latestActor("sign_in")).toBe("operator:Dana Reyes");

    const paused = await call("operator.setBillingPaused", { paused: true }, cookie);
    expect(paused.status).toBe(200);
    expect(await latestActor("billing.paused")).toBe("operator:Dana Reyes");
    await call("operator.setBillingPaused", { paused: false }, cookie);
  });

  it("come with the admin token too, and a session without one is just `operator`", async () => {
    const named = await call("session.operatorSignIn", { token: ADMIN_TOKEN, name: "Sam Okafor" });
    expect(named.status).toBe(200);
    expect(await me(named.cookie)).toMatchObject({ role: "operator", operatorName: "Sam Okafor" });
    expect(await latestActor("sign_in")).toBe("operator:Sam Okafor");

    const blank = await call("session.operatorSignIn", { token: ADMIN_TOKEN, name: "   " });
    expect(blank.status).toBe(200);
    expect(await me(blank.cookie)).toMatchObject({ role: "operator", operatorName: null });
    expect(await latestActor("sign_in")).toBe("operator");
  });

  it("refuse a name that is not one line of words, with a clear message", async () => {
    const refused = await call("session.operatorSignIn", { token: ADMIN_TOKEN, name: "Dana\nReyes" });
    expect(refused.status).toBe(400);
    expect(refused.error?.message).toContain("plain text on one line");
    expect((await call("session.operatorSignIn", { token: ADMIN_TOKEN, name: "x".repeat(81) })).status).toBe(400);

    const error = await createSignInLink(srv.deps.db, clock, { role: "operator", operatorName: "a\u0007b" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("BAD_INPUT");
  });

  it("leave a customer's return URL where it was", async () => {
    const account = await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Lumen", email: "ops@lumen.example", planId: "starter" });
    const link = await createSignInLink(srv.deps.db, clock, { role: "customer", accountId: account.id, returnUrl: "https://app.lumen.example/settings", operatorName: "ignored" });
    const { sessionId, session } = await redeemSignInLink(srv.deps.db, clock, link.token, 60_000);
    expect(session).toMatchObject({ role: "customer", returnUrl: "https://app.lumen.example/settings", operatorName: null });
    expect(await readSession(srv.deps.db, clock, sessionId, 60_000)).toMatchObject({ returnUrl: "https://app.lumen.example/settings", operatorName: null });
  });
});
