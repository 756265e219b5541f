import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "headroom-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface StartInfo {
  url: string;
  seeded: { accounts: number } | null;
  serverToken: { value: string; storedIn: string };
}

/** Runs `headroom start --json` on port 0 and resolves with the printed info and the process. */
function start() {
  const child = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), "start", "--json"], {
    cwd: root,
    env: { ...process.env, DATABASE_PATH: join(dir, "headroom.db"), PORT: "0", LOG_LEVEL: "silent", HEADROOM_DEMO: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const info = new Promise<StartInfo>((resolveInfo, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      try {
        resolveInfo(JSON.parse(out) as StartInfo);
      } catch {
        /* not complete yet */
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before starting: ${out}`)));
  });
  let stopAt = 0;
  const exited = new Promise<{ code: number | null; ms: number }>((res) => child.on("exit", (code) => res({ code, ms: Date.now() - stopAt })));
  const stop = () => {
    stopAt = Date.now();
    child.kill("SIGTERM");
  };
  return { info, exited, stop };
}

describe("headroom start", () => {
  it("seeds the demo once, keeps data across restarts, and stops gracefully on SIGTERM", async () => {
    const first = start();
    const info = await first.info;
    expect(info.seeded).toMatchObject({ accounts: 10 });
    expect(info.serverToken.value).toMatch(/^hr_server_/);
    const health = await fetch(`${info.url.replace("localhost", "127.0.0.1")}/healthz`);
    expect(health.status).toBe(200);
    const portal = await fetch(`${info.url.replace("localhost", "127.0.0.1")}/usage`);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toContain('<div id="root">');

    first.stop();
    const stopped = await first.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);

    const second = start();
    const again = await second.info;
    expect(again.seeded).toBeNull();
    expect(again.serverToken.value).toBe(info.serverToken.value);
    const accounts = await fetch(`${again.url.replace("localhost", "127.0.0.1")}/v1/accounts/acc_demo_acme`, {
      headers: { authorization: `Bearer ${again.serverToken.value}` },
    });
    expect(accounts.status).toBe(200);
    second.stop();
    expect((await second.exited).code).toBe(0);
  }, 90_000);
});
