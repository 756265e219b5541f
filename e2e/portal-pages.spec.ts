import { expect, expectNoSeriousA11yViolations, serverAuth, SHOTS, signInAsCustomer, test } from "./fixtures";

test.describe("customer portal pages", () => {
  test("usage: both charts, the week's peak against the cap and what happens about it", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_acme");
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();

    const summary = page.getByTestId("peak-summary");
    await expect(summary).toContainText(/Your peak this week: 268 calls\/min (today|yesterday|on \w+) — 4\.5× your Starter cap\./);
    await expect(summary).toContainText("Nothing changes yet: calls over the cap are still served.");

    const minutes = page.getByRole("figure", { name: "Last 60 minutes" });
    const days = page.getByRole("figure", { name: "Last 30 days" });
    await expect(minutes).toBeVisible();
    await expect(days).toBeVisible();
    await expect(minutes).toContainText("Your cap (60/min)");
    await expect(days).toContainText("Your cap (1,000/day)");
    // The bars are drawn (one SVG per chart), and the same numbers are there for screen readers.
    await expect(days.locator("svg.chart-surface")).toHaveCount(1);
    await expect(days.locator(".chart-bar").first()).toBeAttached();
    await expect(days.getByRole("table")).toContainText("Would be throttled");
    await expect(days).toContainText(/30 of 30 days went over your cap of 1,000|\d+ of 30 days went over your cap of 1,000/);
    await expect(page.getByText("Make your first call")).toHaveCount(0);
    // Every one of the 30 days had calls: at least one segment each.
    const heights = await days.locator(".chart-bar").evaluateAll((els) => els.map((el) => Number(el.getAttribute("height"))));
    expect(heights.length).toBeGreaterThanOrEqual(30);

    // Pointing at a day names it and its numbers, with the cap it was counted against.
    const surface = days.locator("svg.chart-surface");
    await surface.scrollIntoViewIfNeeded();
    const box = (await surface.boundingBox())!;
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    await expect(days).toContainText(/Total\s*[\d,]+/);
    await expect(days).toContainText(/Cap 1,000\/day · [\d.]+× the cap/);
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    await expect(days).not.toContainText(/Cap 1,000\/day ·/);

    await expectNoSeriousA11yViolations(page);
  });

  test("usage: the first numbers arrive with the page itself, then refresh on their own", async ({ page }) => {
    const asked: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/trpc/")) asked.push(new URL(r.url()).pathname.replace("/trpc/", ""));
    });
    await signInAsCustomer(page, "acc_demo_acme");
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    await expect(page.getByText("Calls per day (UTC)")).toBeVisible();
    await expect(page.getByRole("figure", { name: "Last 30 days" }).locator(".chart-bar").first()).toBeAttached();
    // Drawn from what index.html carried: neither the session nor the page's numbers were asked for.
    expect(asked.filter((p) => /session\.me|usage\.|plans\.list|notices\.banner/.test(p))).toEqual([]);
    // The live numbers still refresh (every 5 s) from there on.
    await expect.poll(() => asked.some((p) => p.includes("usage.overview")), { timeout: 15_000 }).toBe(true);
  });

  test("usage at phone width keeps the charts inside the screen", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signInAsCustomer(page, "acc_demo_acme");
    const days = page.getByTestId("chart-days");
    await expect(days.locator("svg.chart-surface")).toBeVisible();
    const box = await days.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });

  test("plans: Starter is current, Business recommended with the reason, Starter over on most days", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_acme");
    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Plans" }).click();
    await expect(page.getByRole("heading", { name: "Plans", level: 1 })).toBeVisible();

    const recommendation = page.getByTestId("recommendation");
    await expect(recommendation.getByRole("heading", { name: /Business/ })).toBeVisible();
    await expect(recommendation).toContainText("Business is the cheapest plan that fits your last 30 days");
    await expect(recommendation).toContainText("268 calls");

    const table = page.getByTestId("plan-table");
    await expect(table.getByTestId("plan-col-starter")).toContainText("Your plan");
    await expect(table.getByTestId("plan-col-business")).toContainText("Recommended");
    await expect(table.getByTestId("plan-col-starter")).not.toContainText("Recommended");
    await expect(table.getByTestId("verdict-starter")).toHaveText(/Over on \d+ of 30 days/);
    await expect(table.getByTestId("verdict-business")).toHaveText("Fits");

    // Every other plan links into the plan-change wizard with itself chosen; the current plan does not.
    await expect(table.getByRole("link", { name: "Switch to Business" })).toHaveAttribute("href", "/plans/change?to=business");
    await expect(table.getByRole("link", { name: "Switch to Free" })).toHaveAttribute("href", "/plans/change?to=free");
    await expect(table.getByRole("link", { name: "Switch to Starter" })).toHaveCount(0);
    await expect(recommendation.getByRole("link", { name: "Switch to Business" })).toHaveAttribute("href", "/plans/change?to=business");
    await expect(page.getByText(/coming soon/i)).toHaveCount(0);

    await expectNoSeriousA11yViolations(page);
  });

  test("plans at phone width: cards, the recommended one first", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signInAsCustomer(page, "acc_demo_acme");
    await page.goto("/plans");
    const cards = page.getByRole("list", { name: "Plans compared with your last 30 days" }).getByRole("listitem");
    await expect(cards.first()).toContainText("Business");
    await expect(cards.first()).toContainText("Recommended");
    await expect(page.getByTestId("plan-card-starter")).toContainText(/Over on \d+ of 30 days/);
    await expect(page.getByTestId("plan-table")).toBeHidden();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });

  test("keys: create shows the key once with a warning; revoke asks first and removes it", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_brightline");
    await page.goto("/keys");
    await expect(page.getByRole("heading", { name: "API keys", level: 1 })).toBeVisible();
    const rows = page.getByRole("list", { name: "Active API keys" }).getByRole("listitem");
    await expect(rows).toHaveCount(1);
    await expectNoSeriousA11yViolations(page);

    await page.getByRole("button", { name: "Create key" }).first().click();
    const create = page.getByRole("dialog", { name: "Create an API key" });
    await expect(create).toBeVisible();
    await expect(create.getByLabel("Name")).toBeFocused();
    // Escape closes without creating anything.
    await page.keyboard.press("Escape");
    await expect(create).toBeHidden();
    await expect(rows).toHaveCount(1);

    await page.getByRole("button", { name: "Create key" }).first().click();
    await create.getByLabel("Name").fill("Mobile app");
    await create.getByRole("button", { name: "Create key" }).click();

    const reveal = page.getByRole("dialog", { name: "Save your new key" });
    await expect(reveal).toBeVisible();
    await expect(reveal.getByTestId("key-warning")).toContainText("This key will not be shown again.");
    const key = (await reveal.getByTestId("new-key").textContent())!.trim();
    expect(key).toMatch(/^hr_live_[A-Za-z0-9_-]{32}$/);
    await expect(reveal.getByRole("button", { name: "Copy key" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    await reveal.getByRole("button", { name: "Done" }).click();
    await expect(reveal).toBeHidden();
    await expect(page.getByText(key)).toHaveCount(0);
    const row = rows.filter({ hasText: "Mobile app" });
    await expect(row).toContainText(`${key.slice(0, 12)}…`);
    await expect(row).toContainText("Never");
    await expect(rows).toHaveCount(2);
    // Reloading cannot bring the key back either.
    await page.reload();
    await expect(rows.filter({ hasText: "Mobile app" })).toBeVisible();
    expect(await page.content()).not.toContain(key);

    await rows.filter({ hasText: "Mobile app" }).getByRole("button", { name: "Revoke" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke “Mobile app”?" });
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText(`${key.slice(0, 12)}…`);
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(confirm).toBeHidden();
    await expect(rows).toHaveCount(2);

    await rows.filter({ hasText: "Mobile app" }).getByRole("button", { name: "Revoke" }).click();
    await page.setViewportSize({ width: 375, height: 720 });
    await page.screenshot({ path: `${SHOTS}/keys-revoke-phone.png` });
    await page.setViewportSize({ width: 1280, height: 720 });
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await expect(confirm).toBeHidden();
    await expect(rows.filter({ hasText: "Mobile app" })).toHaveCount(0);
    await expect(rows).toHaveCount(1);
  });

  test("a customer whose account has no calls sees how to make the first one", async ({ page }) => {
    const res = await page.request.post("/v1/accounts", {
      headers: serverAuth,
      data: { name: "Newco", email: `new-${Date.now()}@newco.example`, planId: "starter" },
    });
    expect(res.status()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await signInAsCustomer(page, id);
    const first = page.getByTestId("first-call");
    await expect(first).toContainText("Make your first call");
    await expect(first).toContainText('/demo-api/hello');
    await expect(first).toContainText('-H "Authorization: Bearer <your key>"');
    await first.getByRole("link", { name: "API keys page" }).click();
    await expect(page).toHaveURL(/\/keys$/);
  });
});
