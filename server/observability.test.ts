import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "headroom-logs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = "observability-server-token-0123456789";

describe("logs and metrics of a full run", () => {
  it("logs requests as JSON lines with their request id (an allowed /v1/check only counted), never a key, token or e-mail body; /metrics needs the token", async () => {
    const child = spawn(join(root, "node_modules/.bin/tsx"), [join(root, "server/cli.ts"), "start", "--json"], {
      cwd: root,
      env: { ...process.env, DATABASE_PATH: join(dir, "h.db"), PORT: "0", LOG_LEVEL: "info", HEADROOM_DEMO: "true", HEADROOM_SERVER_TOKEN: TOKEN, METER_SLOW_REQUEST_MS: "600000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    // The start info is one pretty-printed JSON object among the JSON log lines.
    const info = await new Promise<{ url: string; demoApiKey: { key: string; accountId: string } }>((res, rej) => {
      const timer = setInterval(() => {
        const start = out.indexOf('{\n  "url"');
        const end = start >= 0 ? out.indexOf("\n}\n", start) : -1;
        if (end > 0) {
          clearInterval(timer);
          res(JSON.parse(out.slice(start, end + 2)));
        }
      }, 100);
      child.once("exit", () => {
        clearInterval(timer);
        rej(new Error(out));
      });
    });
    const base = info.url.replace("localhost", "127.0.0.1");
    const key = info.demoApiKey.key;
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const check = await fetch(`${base}/v1/check`, { method: "POST", headers: { ...auth, "x-request-id": "req-check-1" }, body: JSON.stringify({ key, cost: 1 }) });
    expect(check.headers.get("x-request-id")).toBe("req-check-1");
    expect(((await check.json()) as { allowed: boolean }).allowed).toBe(true);
    const unknownKey = await fetch(`${base}/v1/check`, { method: "POST", headers: { ...auth, "x-request-id": "req-check-2" }, body: JSON.stringify({ key: "hr_live_unknown", cost: 1 }) });
    expect(unknownKey.status).toBe(401);
    await fetch(`${base}/demo-api/hello`, { headers: { authorization: `Bearer ${key}` } });
    await fetch(`${base}/demo-api/hello?api_key=${key}`);
    await fetch(`${base}/v1/accounts/acc_demo_acme`, { headers: auth });
    const portal = (await (await fetch(`${base}/v1/portal-sessions`, { method: "POST", headers: auth, body: JSON.stringify({ accountId: "acc_demo_acme" }) })).json()) as { url: string };
    await fetch(portal.url.replace("localhost", "127.0.0.1"), { redirect: "manual" });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toMatch(/headroom_decisions_total\{decision="(allow|would_throttle)",plan="starter"\} \d+/);
    // Decision latency is sampled (one call in 16), starting with the first call.
    expect(metrics).toMatch(/headroom_decision_seconds_count [1-9]\d*/);
    expect(metrics).toContain("headroom_meter_buffer_rows");
    // The allowed /v1/check is counted, not logged; the refused one is both.
    expect(metrics).toMatch(/^headroom_metering_requests_total\{path="\/v1\/check",status="2xx"\} 1$/m);
    expect(metrics).toMatch(/^headroom_metering_requests_total\{path="\/v1\/check",status="4xx"\} 1$/m);
    expect(metrics).toMatch(/headroom_outbox_messages\{channel="email",status="stored"\} \d+/);

    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    const lines = out.split("\n").filter((l) => l.startsWith('{"level"'));
    const requests = lines.map((l) => JSON.parse(l) as { msg: string; requestId?: string; path?: string; status?: number }).filter((l) => l.msg === "request");
    expect(requests.find((r) => r.requestId === "req-check-1")).toBeUndefined();
    expect(requests.find((r) => r.requestId === "req-check-2")).toMatchObject({ path: "/v1/check", status: 401 });
    expect(requests.some((r) => r.path === "/demo-api/hello" && r.status === 400)).toBe(true);
    expect(requests.length).toBeGreaterThanOrEqual(5);
    const logText = lines.join("\n");
    expect(logText).not.toContain(key);
    expect(logText).not.toContain(TOKEN);
    expect(logText).not.toContain(portal.url.split("token=")[1]!);
    expect(logText).not.toContain("Your choices");
  }, 60_000);
});
