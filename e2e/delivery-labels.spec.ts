import { expect, signInAsCustomer, test } from "./fixtures";
import { signInAsOperator } from "./operator-fixtures";

interface WireNotice {
  id: string;
  kind: string;
  deliveredAtMs: number | null;
}

test("without SMTP, the console's outbox says the e-mails are kept there, not that they failed", async ({ page }) => {
  await signInAsOperator(page);
  await page.goto("/console/outbox?account=acc_demo_acme");
  const rows = page.getByTestId("outbox-row");
  await expect(rows.first()).toBeVisible();
  await expect(rows.filter({ hasText: "Kept in the outbox: SMTP not configured" }).first()).toBeVisible();
  await expect(page.getByTestId("outbox-table")).not.toContainText(/not delivered|stored/i);
  await rows.first().getByRole("link").first().click();
  const preview = page.getByTestId("message-preview");
  await expect(preview).toContainText("Kept in the outbox: SMTP not configured");
  await expect(preview).toContainText("not sent: kept here, no SMTP server is configured");
});

test("a notice that has not reached the customer yet is waiting, not failed, on the shadow audit", async ({ page }) => {
  await signInAsOperator(page);
  await page.goto("/console");
  const table = page.getByRole("table").first();
  await expect(table).toContainText("Acme Analytics");
  // The demo's over-cap accounts have notices neither e-mailed (no SMTP) nor seen in the portal yet.
  await expect(table.getByText("not seen yet").first()).toBeVisible();
  await expect(table).not.toContainText(/not delivered/i);
});

test("a notice the customer reads on the Notices page has reached them, and says so", async ({ page, browser, baseURL }) => {
  // A support reply: a notice that is never a banner, and without SMTP it is not e-mailed either.
  await signInAsCustomer(page, "acc_demo_evergreen");
  const asked = await page.request.post("/trpc/support.create", { data: { topic: "plan", message: "Does the Pro plan's quota reset on our billing date?" }, headers: { origin: baseURL! } });
  expect(asked.ok()).toBe(true);
  const requestId = ((await asked.json()) as { result: { data: { id: string } } }).result.data.id;
  const operatorContext = await browser.newContext();
  const operator = await operatorContext.newPage();
  await signInAsOperator(operator);
  const reply = "Yes: on your billing date.\nThe Usage page shows the date.";
  expect((await operator.request.post("/trpc/operator.replySupport", { data: { requestId, reply }, headers: { origin: baseURL! } })).ok()).toBe(true);
  await operatorContext.close();

  const replyNotice = async () => {
    const list = (await (await page.request.get("/trpc/notices.list")).json()) as { result: { data: WireNotice[] } };
    return list.result.data.find((n) => n.kind === "support_reply")!;
  };
  expect((await replyNotice()).deliveredAtMs).toBeNull();

  await page.goto("/notices");
  const entry = page.locator('[data-testid="notice"][data-kind="support_reply"]').first();
  await expect(entry).toBeVisible();
  await expect(entry.getByTestId("notice-delivery")).not.toContainText("Not delivered");
  await expect(entry.getByTestId("notice-delivery")).toHaveText(/E-mailed \/ shown on/);
  expect((await replyNotice()).deliveredAtMs).not.toBeNull();
  // The reply's line breaks are kept.
  expect(await entry.locator("p").filter({ hasText: "Yes: on your billing date." }).innerText()).toBe(reply);
});
