import { expect, expectNoSeriousA11yViolations, signInAsCustomer, test } from "./fixtures";
import { signInAsOperator } from "./operator-fixtures";

test.describe("support", () => {
  test("the portal's navigation leads to Support; the form says what it needs before the button is disabled; line breaks are kept both ways", async ({ page, browser, baseURL }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    await page.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "Support" }).click();
    await expect(page).toHaveURL(/\/support$/);
    await expect(page.getByRole("heading", { name: "Support", level: 1 })).toBeVisible();

    const form = page.getByTestId("contact-panel");
    const question = form.getByLabel("Your question");
    const send = form.getByRole("button", { name: "Send to billing" });
    // Before anything is typed, the hint says what is needed and the counter starts at zero.
    await expect(form.getByTestId("question-hint")).toContainText("At least 10 characters.");
    await expect(form.getByTestId("question-counter")).toHaveText(/0 \/ 4,000$/);
    await expect(send).toBeDisabled();

    await question.fill("Help?");
    await expect(form.getByTestId("question-hint")).toContainText("Tell us a little more: at least 10 characters, 5 to go.");
    await expect(send).toBeDisabled();

    await question.fill("x".repeat(4010));
    await expect(form.getByTestId("question-hint")).toContainText("Your question is 4,010 characters long; the limit is 4,000. Shorten it by 10 characters");
    await expect(form.getByTestId("question-counter")).toHaveText(/4,010 \/ 4,000$/);
    await expect(send).toBeDisabled();

    const text = "Our nightly batch:\n- 4,000 calls at 02:00 UTC\n- nothing else\n\nWhich plan fits?";
    await question.fill(text);
    await expect(form.getByTestId("question-hint")).toContainText("At least 10 characters.");
    await expect(send).toBeEnabled();
    await send.click();
    await expect(form.getByRole("status")).toContainText("Sent.");
    await expect(question).toHaveValue("");

    const mine = page.getByTestId("support-request").filter({ hasText: "Our nightly batch:" });
    await expect(mine.getByTestId("support-message")).toHaveCSS("white-space", "pre-wrap");
    expect(await mine.getByTestId("support-message").innerText()).toBe(text);
    await expect(mine).toContainText("Waiting for an answer");

    // The operator answers in two paragraphs; the customer reads them as written.
    const operatorContext = await browser.newContext();
    const operator = await operatorContext.newPage();
    await signInAsOperator(operator);
    const list = (await (await page.request.get("/trpc/support.list")).json()) as { result: { data: Array<{ id: string; message: string }> } };
    const requestId = list.result.data.find((r) => r.message === text)!.id;
    const reply = "Business fits: 5,000 calls a day.\n\nSwitch on the Plans page when you are ready.";
    const replied = await operator.request.post("/trpc/operator.replySupport", { data: { requestId, reply }, headers: { origin: baseURL! } });
    expect(replied.ok()).toBe(true);
    await operatorContext.close();

    await page.reload();
    const answered = page.getByTestId("support-request").filter({ hasText: "Our nightly batch:" });
    expect(await answered.getByTestId("support-reply").locator("p").last().innerText()).toBe(reply);
    await expectNoSeriousA11yViolations(page);
  });

  test("links to the old billing contact panel land on the Support page", async ({ page }) => {
    await signInAsCustomer(page, "acc_demo_fjord");
    await page.goto("/billing?contact=1");
    await expect(page).toHaveURL(/\/support$/);
    await expect(page.getByRole("heading", { name: "Ask a question" })).toBeVisible();
  });

  test("the Support page on a phone: in the menu, the form fits", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signInAsCustomer(page, "acc_demo_fjord");
    await page.getByRole("button", { name: "Open menu" }).click();
    await page.locator("#mobile-nav").getByRole("link", { name: "Support" }).click();
    await expect(page.getByRole("heading", { name: "Support", level: 1 })).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
  });
});
