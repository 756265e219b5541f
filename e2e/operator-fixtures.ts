import { execFileSync } from "node:child_process";
import { expect, type Page } from "@playwright/test";
import { DATABASE_PATH, SERVER_TOKEN } from "./fixtures";

const baseURL = () => `http://127.0.0.1:${process.env.E2E_PORT}`;

/**
 * Signs an operator in the way an operator does: a one-time link from the CLI
 * (`headroom operator-link [--name <name>]`) against the e2e server's database, then opening it.
 */
export async function signInAsOperator(page: Page, name?: string): Promise<void> {
  const out = execFileSync("node_modules/.bin/tsx", ["server/cli.ts", "operator-link", "--json", ...(name ? ["--name", name] : [])], {
    env: {
      ...process.env,
      DATABASE_PATH,
      PUBLIC_URL: baseURL(),
      HEADROOM_SERVER_TOKEN: SERVER_TOKEN,
      HEADROOM_DEMO: "false",
      LOG_LEVEL: "silent",
    },
    encoding: "utf8",
  });
  const { url } = JSON.parse(out) as { url: string };
  expect(url).toContain("/auth/link?token=");
  await page.goto(url);
  await expect(page).toHaveURL(/\/console/);
}

/** A tRPC query as the signed-in operator sees it (the page's cookies), for figures to compare with the screen. */
export async function operatorQuery<T>(page: Page, path: string, input: unknown = {}): Promise<T> {
  const res = await page.request.get(`/trpc/operator.${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(res.ok(), `operator.${path}`).toBe(true);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
