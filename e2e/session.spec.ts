import { expect, signInAsCustomer, test } from "./fixtures";

const isSessionRead = (url: URL) => url.pathname.startsWith("/trpc/") && url.pathname.includes("session.me");

test.describe("when the session cannot be read", () => {
  test("a 503 shows a retry state, not the sign-in page; Retry now recovers", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
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
