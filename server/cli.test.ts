import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "headroom-cli-"));
const env = { ...process.env, DATABASE_PATH: join(dir, "h.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent", PUBLIC_URL: "https://portal.example.com" };

function cli(...args: string[]) {
  return cliIn(env, ...args);
}

function cliIn(environment: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), ...args], { env: environment, encoding: "utf8", cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The environment of a server and its commands without PUBLIC_URL: links are built from the port. */
function localEnv(name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PUBLIC_URL: _, PORT: __, ...rest } = process.env;
  return { ...rest, DATABASE_PATH: join(dir, name, "h.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent", ...extra };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("headroom CLI", () => {
  it("prints usage and exits 2 for an unknown command or a bad argument", { timeout: 60_000 }, () => {
    const unknown = cli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("Unknown command: frobnicate");
    expect(unknown.err).toContain("Usage: npm run headroom");
    expect(cli("accounts", "create", "--name", "X").code).toBe(2);
    expect(cli("accounts", "list", "--bogus").code).toBe(2);
    const badRole = cli("start", "--role", "primary");
    expect(badRole.code).toBe(2);
    expect(badRole.err).toContain("Unknown role: primary");
    const badPlan = cli("accounts", "create", "--name", "X", "--email", "x@example.com", "--plan", "platinum");
    expect(badPlan.code).toBe(2);
    expect(badPlan.err).toContain("planId");
  });

  it("creates an account and a key, revokes it, and mints sign-in links, as JSON", { timeout: 120_000 }, () => {
    expect(cli("migrate", "--json").code).toBe(0);
    const created = cli("accounts", "create", "--name", "Acme", "--email", "Ops@Acme.example", "--plan", "starter", "--json");
    expect(created.code).toBe(0);
    const account = JSON.parse(created.out) as { id: string; email: string; plan: string };
    expect(account).toMatchObject({ email: "ops@acme.example", plan: "starter" });

    const listed = JSON.parse(cli("accounts", "list", "--json").out) as Array<{ id: string }>;
    expect(listed.map((a) => a.id)).toEqual([account.id]);

    const key = JSON.parse(cli("keys", "create", "--account", account.id, "--name", "Production", "--json").out) as { id: string; key: string };
    expect(key.key).toMatch(/^hr_live_/);
    const human = cli("keys", "create", "--account", account.id);
    expect(human.out).toContain("it will not be shown again");

    const revoked = JSON.parse(cli("keys", "revoke", key.id, "--json").out) as { revokedAtMs: number };
    expect(revoked.revokedAtMs).toBeGreaterThan(0);
    expect(cli("keys", "revoke", "key_missing").code).toBe(1);

    const portal = JSON.parse(cli("portal-link", "--account", account.id, "--json").out) as { url: string; expiresAt: string };
    expect(portal.url).toMatch(/^https:\/\/portal\.example\.com\/auth\/link\?token=[\w-]{43}$/);
    expect(cli("portal-link", "--account", "acc_missing").code).toBe(1);
    const operator = JSON.parse(cli("operator-link", "--json").out) as { url: string };
    expect(operator.url).toContain("/auth/link?token=");
    expect(cli("operator-link", "--name", "Dana Reyes", "--json").code).toBe(0);
    const badName = cli("operator-link", "--name", "Dana\u0007Reyes");
    expect(badName.code).toBe(1);
    expect(badName.err).toContain("plain text on one line");
  });
});

describe("headroom CLI links and accounts list", () => {
  it("prints links on the port the server on the same database listens on, not PORT's default", { timeout: 120_000 }, async () => {
    // Before any server has started: PORT, as the server would use it.
    expect(JSON.parse(cliIn(localEnv("links", { PORT: "4567" }), "operator-link", "--json").out).url).toMatch(/^http:\/\/localhost:4567\/auth\/link\?token=/);
    // A server on a port the system picked (PORT=0) …
    const server = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), "start", "--json"], { env: localEnv("links", { PORT: "0" }), cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let out = "";
        server.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          try {
            resolveUrl((JSON.parse(out) as { url: string }).url);
          } catch {
            /* not complete yet */
          }
        });
        server.once("exit", (code) => reject(new Error(`exited ${code} before starting: ${out}`)));
      });
      expect(url).toMatch(/^http:\/\/localhost:\d+$/);
      expect(url).not.toBe("http://localhost:3000");
      // … and a command run without PORT (or with another) links to that server.
      for (const extra of [{}, { PORT: "3000" }] as Array<Record<string, string>>) {
        const portal = cliIn(localEnv("links", extra), "operator-link", "--json");
        expect(portal.code).toBe(0);
        expect((JSON.parse(portal.out) as { url: string }).url.startsWith(`${url}/auth/link?token=`)).toBe(true);
      }
      // PUBLIC_URL still wins, for the server and the commands alike.
      expect(JSON.parse(cliIn(localEnv("links", { PUBLIC_URL: "https://portal.example.com" }), "operator-link", "--json").out).url).toMatch(/^https:\/\/portal\.example\.com\/auth\/link/);
    } finally {
      const exited = new Promise((r) => server.once("exit", r));
      if (server.exitCode === null && server.kill("SIGTERM")) await exited;
    }
  });

  it("lists accounts with plan, mode and usage against each cap, as a table and as JSON", { timeout: 120_000 }, () => {
    const demo = localEnv("list");
    expect(cliIn(demo, "seed-demo").code).toBe(0);
    const human = cliIn(demo, "accounts", "list");
    expect(human.code).toBe(0);
    const lines = human.out.split("\n");
    expect(lines[0]).toMatch(/^ACCOUNT\s+NAME\s+PLAN\s+MODE\s+MINUTE\s+DAY\s+MONTH$/);
    // The account refused past its grace period: Free, enforced, over its monthly cap of 1,000.
    expect(lines.find((l) => l.startsWith("acc_demo_fjord"))).toMatch(/^acc_demo_fjord\s+Fjord Mobile\s+Free\s+enforce\s+\d+\s+\d+\s+[\d,]+\/1,000 over$/);
    // Acme: Starter in shadow mode, caps of 60 a minute and 1,000 a day, no month cap.
    expect(lines.find((l) => l.startsWith("acc_demo_acme"))).toMatch(/^acc_demo_acme\s+Acme Analytics\s+Starter\s+shadow\s+\d+\/60\s+[\d,]+\/1,000( over)?\s+[\d,]+$/);
    expect(lines.find((l) => l.startsWith("acc_demo_ionic"))).toMatch(/Enterprise\s+off\s/);

    const rows = JSON.parse(cliIn(demo, "accounts", "list", "--json").out) as Array<{ id: string; plan: string; enforcement: string; limits: Array<{ window: string; limit: number | null; used: number; state: string }> }>;
    expect(rows).toHaveLength(10);
    const fjord = rows.find((r) => r.id === "acc_demo_fjord")!;
    expect(fjord).toMatchObject({ plan: "free", enforcement: "enforce" });
    expect(fjord.limits.find((l) => l.window === "month")).toMatchObject({ limit: 1000, state: "over" });
    expect(fjord.limits.find((l) => l.window === "month")!.used).toBeGreaterThan(1000);
    expect(rows.find((r) => r.id === "acc_demo_acme")!.limits.map((l) => [l.window, l.limit])).toEqual([
      ["minute", 60],
      ["day", 1000],
      ["month", null],
    ]);
  });
});
