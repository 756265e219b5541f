import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountRow, countRows, insertRows, rowsOf } from "../../testing/dialect-rows";
import { DIALECTS, queriesFor, type OpenDialect } from "../../testing/pg-dialects";
import * as pgAuth from "../pg/queries/auth";
import * as liteAuth from "../sqlite/queries/auth";

const link = (id: string, over: { expiresAtMs?: number; role?: "customer" | "operator" } = {}) => ({
  id,
  tokenHash: `hash-${id}`,
  role: over.role ?? ("customer" as const),
  accountId: over.role === "operator" ? null : "acc_a",
  returnUrl: "https://app.example/back",
  createdAtMs: 0,
  expiresAtMs: over.expiresAtMs ?? 1_000,
});

describe.each(DIALECTS)("auth queries ($dialect)", ({ open }) => {
  let database: OpenDialect;
  let q: ReturnType<typeof queriesFor<typeof liteAuth>>;

  beforeAll(async () => {
    database = await open();
    q = queriesFor(database.store, liteAuth, pgAuth);
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    await insertRows(database.store, "accounts", [accountRow("acc_a", { name: "Acme", email: "ops@acme.example" })]);
  });

  it("trades a link for one session carrying the link's role, account and return URL; a second use, an expired or unknown link is refused", async () => {
    await q.insertSignInToken(link("l1"));
    await q.insertSignInToken(link("l2", { expiresAtMs: 100 }));
    const redeemed = await q.redeemSignInToken({ tokenHash: "hash-l1", nowMs: 50, session: { idHash: "s1", expiresAtMs: 500 } });
    expect(redeemed).toMatchObject({ link: { id: "l1" } });
    expect(await q.sessionByIdHash("s1")).toMatchObject({ role: "customer", accountId: "acc_a", returnUrl: "https://app.example/back", expiresAtMs: 500, lastSeenAtMs: 50 });
    expect(await q.redeemSignInToken({ tokenHash: "hash-l1", nowMs: 60, session: { idHash: "s2", expiresAtMs: 500 } })).toEqual({ refused: "used" });
    expect(await q.redeemSignInToken({ tokenHash: "hash-l2", nowMs: 100, session: { idHash: "s3", expiresAtMs: 500 } })).toEqual({ refused: "expired" });
    expect(await q.redeemSignInToken({ tokenHash: "nope", nowMs: 60, session: { idHash: "s4", expiresAtMs: 500 } })).toEqual({ refused: "not_found" });
    expect(await q.sessionByIdHash("s2")).toBeUndefined();
    expect(await q.sessionByIdHash("s3")).toBeUndefined();
  });

  it("of tabs opening one link at once, one gets a session and the others find the link used", async () => {
    for (let round = 0; round < 4; round++) {
      await q.insertSignInToken(link(`l${round}`));
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => q.redeemSignInToken({ tokenHash: `hash-l${round}`, nowMs: 50, session: { idHash: `s${round}_${i}`, expiresAtMs: 500 } })));
      expect(answers.filter((a) => "link" in a)).toHaveLength(1);
      expect(answers.filter((a) => "refused" in a)).toEqual(Array.from({ length: 5 }, () => ({ refused: "used" })));
    }
    expect(await countRows(database.store, "sessions")).toBe(4);
  });

  it("forgets a session only while it is expired", async () => {
    await q.insertSignInToken(link("l1"));
    await q.redeemSignInToken({ tokenHash: "hash-l1", nowMs: 50, session: { idHash: "s1", expiresAtMs: 500 } });
    await q.deleteExpiredSession("s1", 499);
    expect(await q.sessionByIdHash("s1")).toBeDefined();
    await q.deleteExpiredSession("s1", 500);
    expect(await q.sessionByIdHash("s1")).toBeUndefined();
  });

  it("slides a session, ends one, and sweeps sessions and links expired before their cut-offs", async () => {
    await q.insertSignInToken(link("l1"));
    await q.insertSignInToken(link("l2", { role: "operator" }));
    await q.insertSignInToken(link("l_old", { expiresAtMs: 200 }));
    await q.redeemSignInToken({ tokenHash: "hash-l1", nowMs: 50, session: { idHash: "s1", expiresAtMs: 300 } });
    await q.redeemSignInToken({ tokenHash: "hash-l2", nowMs: 60, session: { idHash: "s2", expiresAtMs: 300 } });
    expect(await q.sessionByIdHash("s2")).toEqual({ idHash: "s2", role: "operator", accountId: null, returnUrl: "https://app.example/back", createdAtMs: 60, lastSeenAtMs: 60, expiresAtMs: 300 });
    await q.slideSession("s1", { lastSeenAtMs: 250, expiresAtMs: 900 });
    expect(await q.sessionByIdHash("s1")).toMatchObject({ createdAtMs: 50, lastSeenAtMs: 250, expiresAtMs: 900 });
    // Sessions that ran out before 301 go (s2 at 300), and links that ran out before 201 (l_old at 200).
    await q.deleteExpiredAuth({ sessionsBeforeMs: 301, linksBeforeMs: 201 });
    expect((await rowsOf(database.store, "sessions")).map((s) => s.idHash)).toEqual(["s1"]);
    expect((await rowsOf(database.store, "signInTokens")).map((t) => t.id).sort()).toEqual(["l1", "l2"]);
    await q.deleteSession("s1");
    expect(await q.sessionByIdHash("s1")).toBeUndefined();
  });

  it("finds the account a sign-in is for by its address", async () => {
    expect(await q.accountForSignIn("ops@acme.example")).toEqual({ id: "acc_a", name: "Acme", email: "ops@acme.example" });
    expect(await q.accountForSignIn("nobody@acme.example")).toBeUndefined();
  });

  const request = (n: number, atMs: number, max = 2) =>
    q.queueSignInEmail({
      link: link(`l${n}`),
      message: { id: `m${n}`, accountId: "acc_a", channel: "email", dedupeKey: `sign-in:${n}`, recipient: "ops@acme.example", subject: "Your sign-in link", payloadJson: "{}", status: "stored", nextAttemptAtMs: atMs, createdAtMs: atMs },
      sinceMs: atMs - 100,
      max,
    });

  it("queues sign-in e-mails up to the limit since the given moment, storing each link only with its e-mail", async () => {
    expect(await request(1, 10)).toBe(true);
    expect(await request(2, 20)).toBe(true);
    expect(await request(3, 30)).toBe(false);
    expect(await countRows(database.store, "outbox")).toBe(2);
    expect(await countRows(database.store, "signInTokens")).toBe(2);
    // Older messages fall out of the window.
    expect(await request(4, 200)).toBe(true);
  });

  it("of sign-in requests at once, no more than the limit are queued", async () => {
    for (let round = 0; round < 4; round++) {
      const atMs = 1_000 * (round + 1);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => request(round * 10 + i, atMs, 3)));
      expect(answers.filter(Boolean)).toHaveLength(3);
    }
    expect(await countRows(database.store, "outbox")).toBe(12);
    expect(await countRows(database.store, "signInTokens")).toBe(12);
  });
});
