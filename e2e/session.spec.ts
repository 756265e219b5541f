import type { Page } from "@playwright/test";
import { expect, signInAsCustomer, test } from "./fixtures";

const isSessionRead = (url: URL) => url.pathname.startsWith("/trpc/") && url.pathname.includes("session.me");

/**
 * The page as the server sends it when its database does not answer: index.html without the first
 * reads it usually carries (server/http/initial-data.ts), so the portal asks for the session itself.
 */
async function pagesWithoutFirstReads(page: Page): Promise<void> {
  await page.route("**/*", async (route) => {
    if (route.request().resourceType() !== "document") return route.fallback();
    const response = await route.fetch();
    const body = (await response.text()).replace(/<script type="application\/json" id="headroom-initial-data">.*?<\/script>/s, "");
    expect(body).not.toContain("headroom-initial-data");
    await route.fulfill({ response, body });
  });
}

test.describe("when the session cannot be read", () => {
  test("a 503 shows a retry state, not the sign-in page; Retry now recovers", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
    await pagesWithoutFirstReads(page);
    await page.route(isSessionRead, (route) => route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: { message: "Service unavailable", code: -32603, data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 503 } } }) }));
    await page.goto("/usage");
    const state = page.getByTestId("session-unavailable");
    await expect(state).toBeVisible();
    await expect(state).toContainText("We cannot reach your portal right now");
    await expect(state).toContainText("503");
    await expect(state).toContainText("You have not been signed out");
    await expect(page).toHaveURL(/\/usage$/);
    await expect(page.getByRole("button", { name: "E-mail me a sign-in link" })).toHaveCount(0);

    await page.unroute(isSessionRead);
    await state.getByRole("button", { name: "Retry now" }).click();
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
  });

  test("it retries by itself once the server answers again", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    await pagesWithoutFirstReads(page);
    await page.route(isSessionRead, (route) => route.fulfill({ status: 503, body: "" }));
    await page.goto("/keys");
    await expect(page.getByTestId("session-unavailable")).toBeVisible();
    await expect(page.getByTestId("session-retry-status")).toContainText(/Trying again/);
    await page.unroute(isSessionRead);
    // No click: the next automatic attempt (every 5 s) brings the page back.
    await expect(page.getByRole("heading", { name: "API keys", level: 1 })).toBeVisible({ timeout: 20_000 });
  });
});

test("sign-in by e-mail: not an e-mail address gets a message that says what to type", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail address").fill("not-an-email");
  await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
  await expect(page.getByRole("alert")).toHaveText("Enter an e-mail address like name@company.com.");
});
