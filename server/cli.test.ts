import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "headroom-cli-"));
const env = { ...process.env, DATABASE_PATH: join(dir, "h.db"), HEADROOM_DEMO: "false", LOG_LEVEL: "silent", PUBLIC_URL: "https://portal.example.com" };

function cli(...args: string[]) {
  const r = spawnSync(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), ...args], { env, encoding: "utf8", cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
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
