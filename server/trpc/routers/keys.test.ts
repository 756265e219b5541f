import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../accounts/accounts";
import { hashKey, KEY_PREFIX } from "../../keys/keys";
import { ManualClock } from "../../lib/clock";
import { PortalClient } from "../../testing/portal-client";
import { DIALECTS, startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../../testing/test-server";

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
}
interface KeyList {
  keys: KeyView[];
  maxActiveKeys: number;
}

const START = Date.parse("2026-11-25T14:02:31Z");
const clock = new ManualClock(START);
let srv: TestServer;
let accountA: string;
let accountB: string;
let a: PortalClient;
let b: PortalClient;

// The same answers on either storage backend.
describe.each(DIALECTS)("on %s", (dialect) => {
  beforeAll(async () => {
    clock.set(START);
    srv = await startTestServer({ dialect, clock, env: { MAX_ACTIVE_KEYS: "5" } });
    accountA = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Acme", email: "a@example.com", planId: "starter" })).id;
    accountB = (await createAccount(srv.deps.db, srv.deps.catalog, clock, { name: "Brightline", email: "b@example.com", planId: "business" })).id;
    a = await PortalClient.signIn(srv, accountA);
    b = await PortalClient.signIn(srv, accountB);
  });
  afterAll(() => srv.stop());

  describe("keys procedures", () => {
    it("create returns the full key once; list shows its prefix and never the key or its hash", async () => {
      const created = await a.mutate<KeyView & { key: string }>("keys.create", { name: "  Production  " });
      expect(created.status).toBe(200);
      const key = created.data!.key;
      expect(key.startsWith(KEY_PREFIX)).toBe(true);
      expect(created.data).toMatchObject({ name: "Production", prefix: key.slice(0, KEY_PREFIX.length + 4), createdAtMs: clock.now(), lastUsedAtMs: null });

      const listed = await a.query<KeyList>("keys.list");
      expect(listed.data!.keys.map((k) => k.id)).toContain(created.data!.id);
      const raw = JSON.stringify(listed.data);
      expect(raw).not.toContain(key);
      expect(raw).not.toContain(hashKey(key));
      expect(listed.data!.keys.find((k) => k.id === created.data!.id)).toEqual({
        id: created.data!.id,
        name: "Production",
        prefix: created.data!.prefix,
        createdAtMs: clock.now(),
        lastUsedAtMs: null,
      });
      expect(listed.data!.maxActiveKeys).toBe(5);
    });

    it("takes the account from the session, never from input", async () => {
      const created = await a.mutate<KeyView>("keys.create", { name: "Sneaky", accountId: accountB });
      expect(created.status).toBe(200);
      expect((await a.query<KeyList>("keys.list")).data!.keys.map((k) => k.id)).toContain(created.data!.id);
      expect((await b.query<KeyList>("keys.list")).data!.keys.map((k) => k.id)).not.toContain(created.data!.id);
    });

    it("refuses another customer's key as NOT_FOUND and leaves it working", async () => {
      const mine = (await a.mutate<KeyView>("keys.create", { name: "Nightly batch" })).data!;
      const before = (await a.query<KeyList>("keys.list")).data!.keys;

      const revoke = await b.mutate("keys.revoke", { keyId: mine.id });
      expect(revoke.status).toBe(404);
      expect(revoke.error?.data.code).toBe("NOT_FOUND");
      // Same answer as for a key that does not exist: nothing tells B the id is real.
      const missing = await b.mutate("keys.revoke", { keyId: "key_does_not_exist" });
      expect(missing.error?.data.code).toBe("NOT_FOUND");
      expect(revoke.error?.message.replace(mine.id, "ID")).toBe(missing.error?.message.replace("key_does_not_exist", "ID"));

      expect((await a.query<KeyList>("keys.list")).data!.keys).toEqual(before);
      expect((await b.query<KeyList>("keys.list")).data!.keys.map((k) => k.id)).not.toContain(mine.id);
      expect(await srv.sql("select revoked_at_ms from api_keys where id = ?", mine.id)).toEqual([{ revoked_at_ms: null }]);
    });

    it("revokes the customer's own key: it leaves the list, and a second revoke changes nothing", async () => {
      const mine = (await a.mutate<KeyView & { key: string }>("keys.create", { name: "Old staging" })).data!;
      const checkKey = () =>
        fetch(`${srv.url}/v1/check`, { method: "POST", headers: { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ key: mine.key }) });
      expect((await checkKey()).status).toBe(200);
      clock.advance(60_000);
      const revoked = await a.mutate<KeyView & { revokedAtMs: number }>("keys.revoke", { keyId: mine.id });
      expect(revoked.status).toBe(200);
      expect(revoked.data).toMatchObject({ id: mine.id, revokedAtMs: clock.now() });
      expect((await a.query<KeyList>("keys.list")).data!.keys.map((k) => k.id)).not.toContain(mine.id);
      // Effective on the very next call, though the meter had the key cached.
      expect((await checkKey()).status).toBe(401);

      clock.advance(60_000);
      const again = await a.mutate<{ revokedAtMs: number }>("keys.revoke", { keyId: mine.id });
      expect(again.data!.revokedAtMs).toBe(revoked.data!.revokedAtMs);
    });

    it("validates input with a clear BAD_REQUEST", async () => {
      for (const name of ["", "   ", "x".repeat(81)]) {
        const res = await a.mutate("keys.create", { name });
        expect(res.status).toBe(400);
        expect(res.error?.data.code).toBe("BAD_REQUEST");
      }
      expect((await a.mutate("keys.create", {})).status).toBe(400);
      expect((await a.mutate("keys.revoke", { keyId: "" })).status).toBe(400);
      expect((await a.mutate("keys.create", { name: "x".repeat(80) })).status).toBe(200);
    });

    it("stops at the most active keys allowed (MAX_ACTIVE_KEYS), with a message that says what to do", async () => {
      const active = (await b.query<KeyList>("keys.list")).data!.keys.length;
      for (let i = active; i < 5; i++) expect((await b.mutate("keys.create", { name: `Key ${i}` })).status).toBe(200);
      const refused = await b.mutate("keys.create", { name: "One too many" });
      expect(refused.status).toBe(409);
      expect(refused.error?.message).toMatch(/Revoke one first/);
    });

    it("needs a customer session", async () => {
      const res = await fetch(`${srv.url}/trpc/keys.list`);
      expect(res.status).toBe(401);
      const post = await fetch(`${srv.url}/trpc/keys.create`, { method: "POST", headers: { "content-type": "application/json", origin: srv.url }, body: JSON.stringify({ name: "x" }) });
      expect(post.status).toBe(401);
    });
  });
});
