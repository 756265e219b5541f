import type { APIRequestContext } from "@playwright/test";
import { expect, expectNoSeriousA11yViolations, serverAuth, signInAsCustomer, test } from "./fixtures";
import { formatDateTimeUtc } from "../shared/messages";

interface WireBanner {
  noticeId: string;
  kind: string;
  severity: "info" | "warning" | "critical";
  title: string;
  happened: string;
  next: string;
  choices: Array<{ kind: "upgrade" | "reduce" | "contact"; label: string; url: string | null }>;
}

/** The banner as the provider's backend sees it (the same notice the portal shows). */
async function bannerOf(request: APIRequestContext, accountId: string): Promise<WireBanner | null> {
  const res = await request.get(`/v1/accounts/${accountId}/banner`, { headers: serverAuth });
  expect(res.status()).toBe(200);
  return ((await res.json()) as { banner: WireBanner | null }).banner;
}

/** A new Starter account of its own, so what a test changes (dismissals, preferences) touches no other spec. */
async function newStarterAccount(request: APIRequestContext, name: string): Promise<{ id: string; name: string; email: string; key: string }> {
  const email = `${name.toLowerCase().replace(/\W+/g, "-")}-${Date.now()}@example.test`;
  const created = await request.post("/v1/accounts", { headers: serverAuth, data: { name, email, planId: "starter" } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const key = await request.post(`/v1/accounts/${id}/keys`, { headers: serverAuth, data: { name: "Load test" } });
  expect(key.status()).toBe(201);
  return { id, name, email, key: ((await key.json()) as { key: string }).key };
}

/** Reports `count` calls made now with the key (one /v1/events request, at most 1,000). */
async function reportCalls(request: APIRequestContext, key: string, count: number, tag: string) {
  const now = Date.now();
  const events = Array.from({ length: count }, (_, i) => ({ id: `${tag}-${now}-${i}`, key, cost: 1, timestamp: now }));
  const res = await request.post("/v1/events", { headers: serverAuth, data: { events } });
  expect(res.status()).toBe(200);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(count);
}

/** Waits until detection (after the next meter flush) has raised the notice the banner shows. */
async function waitForBanner(request: APIRequestContext, accountId: string, title: string | RegExp) {
  await expect.poll(async () => (await bannerOf(request, accountId))?.title ?? null, { timeout: 10_000 }).toMatch(title);
}

test.describe("notices", () => {
  test("the banner on the usage page says what happened with the numbers, and its upgrade choice opens the plan-change wizard", async ({ page }) => {
    const expected = await bannerOf(page.request, "acc_demo_acme");
    expect(expected, "the demo's detection gives Acme a notice at start").not.toBeNull();

    await signInAsCustomer(page, "acc_demo_acme");
    await expect(page).toHaveURL(/\/usage$/);
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();

    // A landmark named by its severity and title, above the page's own heading.
    const severity = { info: "Information", warning: "Warning", critical: "Critical" }[expected!.severity];
    const banner = page.getByRole("region", { name: `${severity}: ${expected!.title}` });
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute("data-severity", expected!.severity);
    await expect(banner).toContainText(expected!.happened);
    await expect(banner).toContainText(expected!.next);
    // The numbers: Acme is on Starter (60 calls/min, 1,000/day) and steadily over.
    // A reached notice states the window's count; a sustained one the week's peak.
    await expect(banner).toContainText(/(You made|with up to) (268|4,016) calls .*; the Starter plan allows (60 per minute|1,000 per day)\./);

    await expect(banner.getByRole("link", { name: "Reduce your traffic" })).toHaveAttribute("href", "/usage");
    await expect(banner.getByRole("link", { name: "Contact us" })).toHaveAttribute("href", "/support");
    const upgrade = expected!.choices.find((c) => c.kind === "upgrade")!;
    expect(upgrade.label).toBe("Switch to Business");
    expect(new URL(upgrade.url!).search).toBe("?to=business");

    await banner.getByRole("link", { name: "Switch to Business" }).click();
    await expect(page).toHaveURL(/\/plans\/change\?to=business$/);
    // The banner stays at the top of every portal page.
    await expect(page.getByRole("region", { name: `${severity}: ${expected!.title}` })).toBeVisible();
  });

  test("the banner fits a phone screen", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signInAsCustomer(page, "acc_demo_acme");
    const banner = page.getByTestId("notice-banner");
    await expect(banner).toBeVisible();
    const dismiss = banner.getByRole("button", { name: "Dismiss notice" });
    const box = (await dismiss.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    expect(box.width).toBeGreaterThanOrEqual(32);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });

  test("dismissing the banner hides it for good; only a new notice brings one back", async ({ page }) => {
    // Two rounds of metering and detection, and three page loads: more time on a busy machine.
    test.slow();
    // An account of its own: dismissing a demo account's banner would change what other specs see.
    const account = await newStarterAccount(page.request, "Dismiss Co");
    await reportCalls(page.request, account.key, 65, "minute");
    await waitForBanner(page.request, account.id, "You reached your Starter per-minute cap");

    await signInAsCustomer(page, account.id);
    const banner = page.getByTestId("notice-banner");
    await expect(banner).toContainText("You reached your Starter per-minute cap");
    await expect(banner).toContainText(/You made \d+ calls in the last minute; the Starter plan allows 60 per minute\./);

    // Keyboard: the dismiss button is reachable and works with Enter; focus stays in the page.
    const dismiss = banner.getByRole("button", { name: "Dismiss notice" });
    await dismiss.focus();
    await page.keyboard.press("Enter");
    await expect(banner).toHaveCount(0);
    await expect(page.getByRole("status").filter({ hasText: "Notice dismissed." })).toBeAttached();
    expect(await page.evaluate(() => document.activeElement !== document.body)).toBe(true);

    // After a reload the banner is asked for again, and there is still nothing to show.
    const answered = page.waitForResponse((r) => r.url().includes("notices.banner") && r.ok());
    await page.reload();
    await answered;
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    await expect(banner).toHaveCount(0);
    expect(await bannerOf(page.request, account.id)).toBeNull();

    // A new notice (the daily cap, reached now) brings a banner back.
    await reportCalls(page.request, account.key, 1_000, "day");
    await waitForBanner(page.request, account.id, "You reached your Starter daily cap");
    await page.reload();
    await expect(banner).toContainText("You reached your Starter daily cap");
    await expect(banner).not.toContainText("per-minute cap");

    // The dismissed notice is still on the notices page.
    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Notices" }).click();
    const minute = page.getByTestId("notice").filter({ hasText: "You reached your Starter per-minute cap" });
    await expect(minute).toContainText(/Banner dismissed on/);
  });

  test("the notices page lists every notice newest first, with its date, whether it reached the customer, and the choices", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_acme");
    const res = await page.request.get("/trpc/notices.list");
    expect(res.ok()).toBe(true);
    const notices = ((await res.json()) as { result: { data: Array<{ message: { title: string }; deliveredAtMs: number | null; createdAtMs: number }> } }).result.data;
    expect(notices.length).toBeGreaterThan(0);

    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Notices" }).click();
    await expect(page.getByRole("heading", { name: "Notices", level: 1 })).toBeVisible();
    const items = page.getByRole("list", { name: "Notices, newest first" }).getByTestId("notice");
    await expect(items).toHaveCount(notices.length);
    await expect(items.first().getByRole("heading", { level: 2 })).toHaveText(notices[0]!.message.title);
    await expect(items.filter({ hasText: /Your traffic has outgrown the Starter plan|You reached your Starter/ }).first()).toBeVisible();

    const first = items.first();
    // The date in UTC, named, as the notice's e-mail says it.
    const created = first.locator("time").first();
    await expect(created).toHaveAttribute("datetime", new Date(notices[0]!.createdAtMs).toISOString());
    await expect(created).toHaveText(formatDateTimeUtc(notices[0]!.createdAtMs));
    // Read here, a notice has reached the customer: it is never labelled "Not delivered yet" while on screen.
    await expect(first.getByTestId("notice-delivery")).toHaveText(/E-mailed \/ shown on/);
    // Acme's banner has been shown, so at least one notice has reached them.
    await expect(page.getByTestId("notice-delivery").filter({ hasText: "E-mailed / shown on" }).first()).toBeVisible();

    const choices = first.getByRole("list", { name: "Your choices" });
    await expect(choices.getByRole("link", { name: "Switch to Business" })).toHaveAttribute("href", "/plans/change?to=business");
    await expect(choices.getByRole("link", { name: "Reduce your traffic" })).toHaveAttribute("href", "/usage");
    await expect(choices.getByRole("link", { name: "Contact us" })).toHaveAttribute("href", "/support");

    await expectNoSeriousA11yViolations(page);
  });

  test("an account without notices sees that it will hear from us first", async ({ page }) => {
    const account = await newStarterAccount(page.request, "Quiet Co");
    await signInAsCustomer(page, account.id);
    await page.goto("/notices");
    await expect(page.getByText("No notices yet")).toBeVisible();
    await expect(page.getByText("You will hear from us here and by e-mail before anything about your plan changes.")).toBeVisible();
    await expect(page.getByTestId("notice-banner")).toHaveCount(0);
  });

  test("settings: e-mail preferences save at once and persist; enforcement notices are always e-mailed", async ({ page }) => {
    // An account of its own, so switching e-mails off changes nothing another spec relies on.
    const account = await newStarterAccount(page.request, "Settings Co");
    await signInAsCustomer(page, account.id);
    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Settings" }).click();
    await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();

    // The account, read-only, from the session.
    await expect(page.getByText(account.name, { exact: true }).first()).toBeVisible();
    await expect(page.getByText(account.email, { exact: true }).first()).toBeVisible();
    await expect(page.getByText("In-app notices are always shown")).toBeVisible();

    const approaching = page.getByRole("switch", { name: "Approaching a cap (80%)" });
    await expect(approaching).toBeChecked();
    await expect(page.getByRole("switch", { name: "Reached a cap" })).toBeChecked();
    await expect(page.getByRole("switch", { name: "Traffic outgrowing your plan (3 of 7 days)" })).toBeChecked();

    const enforcement = page.getByRole("switch", { name: "Enforcement is about to start" });
    await expect(enforcement).toBeChecked();
    await expect(enforcement).toBeDisabled();
    await expect(enforcement).toHaveAccessibleDescription("Always e-mailed, so that no call is ever refused without warning.");

    await expectNoSeriousA11yViolations(page);

    await approaching.click();
    await expect(approaching).not.toBeChecked();
    await expect(page.getByTestId("preference-approaching").getByRole("status")).toHaveText("Saved");

    // The locked one does not move, even when clicked.
    await enforcement.click({ force: true });
    await expect(enforcement).toBeChecked();

    await page.reload();
    await expect(page.getByRole("switch", { name: "Approaching a cap (80%)" })).not.toBeChecked();
    await expect(page.getByRole("switch", { name: "Reached a cap" })).toBeChecked();
    await expect(page.getByRole("switch", { name: "Enforcement is about to start" })).toBeChecked();

    // Keyboard: Space turns it back on.
    await page.getByRole("switch", { name: "Approaching a cap (80%)" }).focus();
    await page.keyboard.press("Space");
    await expect(page.getByRole("switch", { name: "Approaching a cap (80%)" })).toBeChecked();
    await expect(page.getByTestId("preference-approaching").getByRole("status")).toHaveText("Saved");
  });
});
