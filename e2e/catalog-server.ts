import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import type { CatalogFileInput } from "../shared/catalog-file";

/**
 * A Headroom server of a spec's own, on a catalog other than the suite's (the suite's server runs
 * the demo catalog): `server/cli.ts start` with CATALOG_PATH, a fresh database in a temporary
 * directory, its own port and server token. The demo accounts are seeded when the catalog has the
 * demo's plans (HEADROOM_DEMO=true); on another catalog the server starts without them.
 */
export interface CatalogServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The server token for /v1. */
  token: string;
  /** `{ authorization: "Bearer <token>" }`, for /v1. */
  auth: { authorization: string };
  /** The catalog file the server was started on. */
  catalogPath: string;
  databasePath: string;
  /** The demo customer's API key (`<data dir>/demo-api-key`), or null when the demo was not seeded. */
  demoKey(): { accountId: string; key: string } | null;
  /** The server's database, opened read-only: for what no API shows. Close it after use. */
  database(): Database.Database;
  /** Signs a customer in the way a provider's backend does: POST /v1/portal-sessions, then open the URL. */
  signInAsCustomer(page: Page, accountId: string, returnUrl?: string): Promise<void>;
  /** Signs an operator in the way an operator does: a one-time link from `headroom operator-link` on this server's database and catalog. */
  signInAsOperator(page: Page): Promise<void>;
  /** POST to /v1 with the server token, as the provider's backend does; the answer's status is checked against `status`. */
  v1<T>(path: string, body: unknown, status?: number): Promise<T>;
  /** SIGTERM, wait for the exit, remove the directory. */
  stop(): Promise<void>;
}

/** A port nothing listens on now, on 127.0.0.1. */
export const freePort = () =>
  new Promise<number>((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });

/**
 * Starts a server on `catalog`: a file's path, or the file's content (written into the server's
 * directory). `name` goes into the directory's and the token's names, to tell runs apart; `extraEnv`
 * adds settings (BRAND_*, SMTP_URL, …).
 * Call it from `test.beforeAll` (with a timeout of a minute or two) and `stop()` it in `afterAll`.
 */
export async function startCatalogServer(name: string, catalog: string | CatalogFileInput, extraEnv: Record<string, string> = {}): Promise<CatalogServer> {
  const dir = mkdtempSync(join(tmpdir(), `headroom-e2e-${name}-`));
  const catalogPath = typeof catalog === "string" ? catalog : join(dir, `${name}.catalog.json`);
  if (typeof catalog !== "string") writeFileSync(catalogPath, JSON.stringify(catalog, null, 2));
  const databasePath = join(dir, "headroom.db");
  const token = `e2e-${name}-token-${process.pid}-${Date.now()}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, ...extraEnv, PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: base, DATABASE_PATH: databasePath, CATALOG_PATH: catalogPath, HEADROOM_SERVER_TOKEN: token };
  // node --import tsx, not the tsx CLI: tsx kills its child 60 ms after relaying SIGTERM, before a graceful stop.
  const server: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/cli.ts", "start"], {
    env: { ...env, HEADROOM_DEMO: "true", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((r) => server.once("exit", () => r()));
  const auth = { authorization: `Bearer ${token}` };

  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let up = false;
  for (let i = 0; i < 240 && !up && server.exitCode === null; i++) {
    up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 250));
  }
  if (!up) {
    const code = server.exitCode;
    await stop();
    throw new Error(code === null ? `the ${name} server did not start within a minute` : `the ${name} server exited with ${code} (its stderr is above)`);
  }

  const portalSession = async (page: Page, accountId: string, returnUrl: string) => {
    const res = await page.request.post(`${base}/v1/portal-sessions`, { headers: auth, data: { accountId, returnUrl } });
    expect(res.status(), `portal session for ${accountId}`).toBe(201);
    return ((await res.json()) as { url: string }).url;
  };

  return {
    base,
    token,
    auth,
    catalogPath,
    databasePath,
    demoKey: () => {
      const file = join(dir, "demo-api-key");
      return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { accountId: string; key: string }) : null;
    },
    database: () => new Database(databasePath, { readonly: true }),
    signInAsCustomer: async (page, accountId, returnUrl = "https://app.acme-provider.example/dashboard") => {
      await page.goto(await portalSession(page, accountId, returnUrl));
    },
    signInAsOperator: async (page) => {
      // The CLI opens the same database with the same catalog (another catalog would be recorded as a new load).
      const out = execFileSync(process.execPath, ["--import", "tsx", "server/cli.ts", "operator-link", "--json"], {
        env: { ...env, HEADROOM_DEMO: "false", LOG_LEVEL: "silent" },
        encoding: "utf8",
      });
      const { url } = JSON.parse(out) as { url: string };
      expect(url).toContain(`${base}/auth/link?token=`);
      await page.goto(url);
      await expect(page).toHaveURL(/\/console/);
    },
    v1: async <T>(path: string, body: unknown, status = 200) => {
      const res = await fetch(`${base}/v1${path}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      expect(res.status, `POST /v1${path}: ${text}`).toBe(status);
      return JSON.parse(text) as T;
    },
    stop,
  };
}
