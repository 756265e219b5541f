import { createHash, randomBytes } from "node:crypto";
import { database, expect, serverAuth, signInAsCustomer, test } from "./fixtures";

test.describe("signing in", () => {
  test("an expired link shows a clear page and offers a new one by e-mail", async ({ page }) => {
    const token = randomBytes(32).toString("base64url");
    const db = database();
    db.prepare("insert into sign_in_tokens (id, token_hash, role, account_id, created_at_ms, expires_at_ms) values (?, ?, 'customer', 'acc_demo_fjord', ?, ?)").run(
      `sil_e2e_${Date.now()}`,
      createHash("sha256").update(token).digest("hex"),
      Date.now() - 20 * 60_000,
      Date.now() - 10 * 60_000,
    );
    db.close();
    await page.goto(`/auth/link?token=${token}`);
    await expect(page).toHaveURL(/\/sign-in\?error=expired/);
    await expect(page.getByRole("heading", { name: "This sign-in link has expired" })).toBeVisible();
    await expect(page.getByRole("button", { name: "E-mail me a sign-in link" })).toBeVisible();
  });

  test("e-mail sign-in: the answer reveals nothing, the link in the e-mail signs in once", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("E-mail address").fill("nobody@nowhere.example");
    await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
    const unknownAnswer = await page.getByRole("status").textContent();

    await page.goto("/sign-in");
    await page.getByLabel("E-mail address").fill("founders@fjord.example");
    await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
    await expect(page.getByRole("status")).toContainText("Check your inbox");
    // The same words whether or not the address has an account.
    expect((await page.getByRole("status").textContent())!.replace("founders@fjord.example", "X")).toBe(unknownAnswer!.replace("nobody@nowhere.example", "X"));

    // Without SMTP the message is kept in the outbox, as the operator console shows it.
    const db = database();
    const row = db.prepare("select payload_json from outbox where recipient = 'founders@fjord.example' and subject = 'Your sign-in link' order by created_at_ms desc").get() as { payload_json: string };
    db.close();
    const link = /https?:\/\/\S+\/auth\/link\?token=[\w-]+/.exec((JSON.parse(row.payload_json) as { text: string }).text)![0];
    await page.goto(link);
    await expect(page).toHaveURL(/\/usage$/);
    await expect(page.getByText("Fjord Mobile").first()).toBeVisible();
    await page.context().clearCookies();
    await page.goto(link);
    await expect(page.getByRole("heading", { name: "This sign-in link has already been used" })).toBeVisible();
  });

  test("a cross-site form post to a mutation is refused before any procedure runs", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    const res = await page.request.post("/trpc/session.signOut", { headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }, data: "x=1" });
    expect(res.status()).toBe(403);
    await page.goto("/usage");
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
  });
});

test.describe("isolation between customers", () => {
  test("customer A's session cannot read or touch customer B's data through any procedure", async ({ page, request, baseURL }) => {
    // Customer B's key, created by the provider's backend.
    const created = await request.post("/v1/accounts/acc_demo_juniper/keys", { headers: serverAuth, data: { name: "Juniper e2e" } });
    const theirs = (await created.json()) as { id: string; prefix: string };
    await signInAsCustomer(page, "acc_demo_fjord");
    const headers = { "content-type": "application/json", origin: baseURL! };
    const revoke = await page.request.post("/trpc/keys.revoke", { headers, data: { keyId: theirs.id } });
    expect(revoke.status()).toBe(404);
    const cancel = await page.request.post("/trpc/billing.cancelScheduled", { headers, data: { planChangeId: "pch_of_someone_else" } });
    expect(cancel.status()).toBe(404);
    // Every read answers with Fjord's own data only.
    for (const path of ["usage.overview", "usage.history", "keys.list", "notices.list", "billing.overview", "plans.compare"]) {
      const res = await page.request.get(`/trpc/${path}`);
      expect(res.status(), path).toBe(200);
      const text = await res.text();
      expect(text, path).not.toContain("acc_demo_juniper");
      expect(text, path).not.toContain("eng@juniper.example");
      expect(text, path).not.toContain(theirs.prefix);
    }
    const list = await request.get("/v1/accounts/acc_demo_juniper/keys", { headers: serverAuth });
    expect(((await list.json()) as { keys: Array<{ id: string; revokedAt: string | null }> }).keys.find((k) => k.id === theirs.id)!.revokedAt).toBeNull();
  });
});
