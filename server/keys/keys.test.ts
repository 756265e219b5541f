import { demoCatalog } from "../../shared/testing/demo-catalog";
import { beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { type Database_ } from "../db/client";
import { ManualClock } from "../lib/clock";
import { DomainError } from "../lib/domain-error";
import { ChangeFeed } from "../lib/change-feed";
import { listAudit } from "../operator/audit-log";
import { createKey, hashKey, issueKey, KEY_PREFIX, listKeys, revokeKey, withdrawKey } from "./keys";
import { memoryDatabase } from "../testing/memory-database";

let database: Database_;
const clock = new ManualClock(Date.parse("2026-11-25T10:00:00Z"));
let accountId: string;

beforeEach(async () => {
  database = memoryDatabase();
  accountId = (await createAccount(database.db, demoCatalog, clock, { name: "Acme", email: "ops@acme.example", planId: "starter" })).id;
});

describe("API keys", () => {
  it("shows the full key once and stores only its SHA-256 hash", async () => {
    const created = await createKey(database.db, clock, { accountId, name: "Production" });
    expect(created.key.startsWith(KEY_PREFIX)).toBe(true);
    // 24 random bytes = 192 bits, base64url.
    expect(created.key.slice(KEY_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const row = database.sqlite.prepare("select * from api_keys where id = ?").get(created.id) as Record<string, unknown>;
    expect(row.hash).toBe(hashKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);
    const [listed] = await listKeys(database.db, accountId);
    expect(listed).toMatchObject({ id: created.id, name: "Production", prefix: created.key.slice(0, 12) });
    expect(listed).not.toHaveProperty("key");
    expect(listed).not.toHaveProperty("hash");
  });

  it("limits active keys per account", async () => {
    for (let i = 0; i < 3; i++) await createKey(database.db, clock, { accountId, name: `k${i}` }, { maxActiveKeys: 3 });
    await expect(createKey(database.db, clock, { accountId, name: "k4" }, { maxActiveKeys: 3 })).rejects.toThrow(DomainError);
    await revokeKey(database.db, clock, { keyId: (await listKeys(database.db, accountId))[0]!.id });
    expect((await createKey(database.db, clock, { accountId, name: "k4" }, { maxActiveKeys: 3 })).name).toBe("k4");
  });

  it("scopes revocation to the owning account without revealing other accounts' keys", async () => {
    const other = (await createAccount(database.db, demoCatalog, clock, { name: "Other", email: "o@example.com", planId: "free" })).id;
    const key = await createKey(database.db, clock, { accountId: other, name: "Theirs" });
    await expect(revokeKey(database.db, clock, { keyId: key.id, accountId })).rejects.toThrowError(/No key/);
    expect(await listKeys(database.db, other)).toHaveLength(1);
    const revoked = await revokeKey(database.db, clock, { keyId: key.id, accountId: other });
    expect(revoked.revokedAtMs).toBe(clock.now());
    expect(await listKeys(database.db, other)).toHaveLength(0);
    expect(await listKeys(database.db, other, { includeRevoked: true })).toHaveLength(1);
  });

  it("rejects an empty name", async () => {
    await expect(createKey(database.db, clock, { accountId, name: "   " })).rejects.toThrow();
  });

  it("the key verbs audit and tell the change feed themselves, whichever transport calls them", async () => {
    const feed = new ChangeFeed();
    let told = 0;
    feed.subscribe("keys.changed", () => told++);
    const ctx = { db: database.db, clock, feed, maxActiveKeys: 5 };
    const key = await issueKey(ctx, { accountId, name: "CI" }, "customer");
    expect(told).toBe(1);
    await withdrawKey(ctx, { keyId: key.id, accountId }, "customer");
    expect(told).toBe(2);
    // A second revoke changes nothing: no new audit line, nobody told.
    await withdrawKey(ctx, { keyId: key.id, accountId }, "customer");
    expect(told).toBe(2);
    const actions = (await listAudit(database.db, { accountId })).map((e) => e.action);
    expect(actions.filter((a) => a === "key.created")).toHaveLength(1);
    expect(actions.filter((a) => a === "key.revoked")).toHaveLength(1);
  });
});
