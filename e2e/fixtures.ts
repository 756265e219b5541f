import { test as base, expect, type Page } from "@playwright/test";

export const SERVER_TOKEN = process.env.E2E_SERVER_TOKEN!;

/** Signs a customer in the way a provider's backend does: POST /v1/portal-sessions, then open the URL. */
export async function signInAsCustomer(page: Page, accountId: string, returnUrl = "https://app.acme-provider.example/dashboard"): Promise<void> {
  const res = await page.request.post("/v1/portal-sessions", {
    headers: { authorization: `Bearer ${SERVER_TOKEN}` },
    data: { accountId, returnUrl },
  });
  expect(res.status()).toBe(201);
  const { url } = (await res.json()) as { url: string };
  await page.goto(url);
}

export const test = base;
export { expect };
