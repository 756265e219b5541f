import { beforeEach, describe, expect, it } from "vitest";
import { type Database_ } from "../client";
import { insertAccountUnlessEmailTaken } from "./accounts";
import { deleteExpiredSession, insertSignInToken, queueSignInEmail, redeemSignInToken, sessionByIdHash } from "./auth";
import { memoryDatabase } from "../../testing/memory-database";

let database: Database_;
const link = (id: string, over: { expiresAtMs?: number } = {}) => ({ id, tokenHash: `hash-${id}`, role: "customer" as const, accountId: "acc_a", returnUrl: "https://app.example/back", createdAtMs: 0, expiresAtMs: over.expiresAtMs ?? 1_000 });

beforeEach(async () => {
  database = memoryDatabase();
  await insertAccountUnlessEmailTaken(database.db, { id: "acc_a", name: "Acme", email: "ops@acme.example", planId: "starter", billingAnchorMs: 0, createdAtMs: 0 });
});

describe("auth queries", () => {
  it("trades a link for one session carrying the link's role, account and return URL; a second use, an expired or unknown link is refused", async () => {
    await insertSignInToken(database.db, link("l1"));
    await insertSignInToken(database.db, link("l2", { expiresAtMs: 100 }));
    const redeemed = await redeemSignInToken(database.db, { tokenHash: "hash-l1", nowMs: 50, session: { idHash: "s1", expiresAtMs: 500 } });
    expect(redeemed).toMatchObject({ link: { id: "l1" } });
    expect(await sessionByIdHash(database.db, "s1")).toMatchObject({ role: "customer", accountId: "acc_a", returnUrl: "https://app.example/back", expiresAtMs: 500, lastSeenAtMs: 50 });
    expect(await redeemSignInToken(database.db, { tokenHash: "hash-l1", nowMs: 60, session: { idHash: "s2", expiresAtMs: 500 } })).toEqual({ refused: "used" });
    expect(await redeemSignInToken(database.db, { tokenHash: "hash-l2", nowMs: 100, session: { idHash: "s3", expiresAtMs: 500 } })).toEqual({ refused: "expired" });
    expect(await redeemSignInToken(database.db, { tokenHash: "nope", nowMs: 60, session: { idHash: "s4", expiresAtMs: 500 } })).toEqual({ refused: "not_found" });
    expect(await sessionByIdHash(database.db, "s2")).toBeUndefined();
    expect(await sessionByIdHash(database.db, "s3")).toBeUndefined();
  });

  it("forgets a session only while it is expired", async () => {
    await insertSignInToken(database.db, link("l1"));
    await redeemSignInToken(database.db, { tokenHash: "hash-l1", nowMs: 50, session: { idHash: "s1", expiresAtMs: 500 } });
    await deleteExpiredSession(database.db, "s1", 499);
    expect(await sessionByIdHash(database.db, "s1")).toBeDefined();
    await deleteExpiredSession(database.db, "s1", 500);
    expect(await sessionByIdHash(database.db, "s1")).toBeUndefined();
  });

  it("queues sign-in e-mails up to the limit since the given moment, storing each link only with its e-mail", async () => {
    const request = (n: number, atMs: number) =>
      queueSignInEmail(database.db, {
        link: link(`l${n}`),
        message: { id: `m${n}`, accountId: "acc_a", channel: "email", dedupeKey: `sign-in:${n}`, recipient: "ops@acme.example", subject: "Your sign-in link", payloadJson: "{}", status: "stored", nextAttemptAtMs: atMs, createdAtMs: atMs },
        sinceMs: atMs - 100,
        max: 2,
      });
    expect(await request(1, 10)).toBe(true);
    expect(await request(2, 20)).toBe(true);
    expect(await request(3, 30)).toBe(false);
    const stored = (table: string) => database.sqlite.prepare(`select count(*) from ${table}`).pluck().get();
    expect(stored("outbox")).toBe(2);
    expect(stored("sign_in_tokens")).toBe(2);
    // Older messages fall out of the window.
    expect(await request(4, 200)).toBe(true);
  });
});
