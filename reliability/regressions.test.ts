import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HEALTH_DATABASE_WAIT_MS } from "../server/app";
import { KEEP_ALIVE_TIMEOUT_MS } from "../server/server";
import { rollups } from "./lib/db";
import { HaProxy } from "./lib/haproxy";
import { runLoad } from "./lib/load";
import { createAccountWithKey, ensureStopped, SERVER_TOKEN, startScriptCommand, startServer, type Exit, type ServerProcess } from "./lib/server";
import { callTrpc, operatorSession } from "./lib/trpc";

/** Bugs the reliability suite found, fixed, and kept here so they stay fixed. */
let srv: ServerProcess | undefined;
const others: ServerProcess[] = [];
afterAll(async () => {
  await ensureStopped(srv);
  for (const o of others) await ensureStopped(o);
});

/** One POST /v1/check on a fresh connection (no keep-alive socket the server could close under it). */
function checkOnce(url: string, key: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const u = new URL(url);
  const body = JSON.stringify({ key });
  return new Promise((resolve) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: "/v1/check", method: "POST", agent: false, headers: { authorization: `Bearer ${SERVER_TOKEN}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.setTimeout(3_000, () => req.destroy());
    req.on("error", () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(body);
  });
}

describe("regressions", () => {
  it("operator.metrics refuses a range it cannot answer at once, and /v1/check is never stalled", async ({ task }) => {
    srv = await startServer();
    const s = srv;
    const operator = await operatorSession(s);
    const acc = await createAccountWithKey(s, "enterprise");
    // The input passes the procedure's zod schema: both are non-negative safe integers.
    const input = { fromMs: 0, toMs: 8_640_000_000_000_000 };
    const t0 = performance.now();
    const metrics = callTrpc(s, operator, { path: "operator.metrics", type: "query" }, { value: input }, {}, 6_000).then(
      (r) => ({ status: r.status, text: r.text.slice(0, 160), ms: performance.now() - t0 }),
      (err: unknown) => ({ status: 0, text: `no answer: ${String(err)}`, ms: performance.now() - t0 }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const check = await checkOnce(s.url, acc.key);
    const m = await metrics;
    // The server is still busy with the request; there is nothing to stop gracefully.
    await s.sigkill();
    task.meta.figure = `operator.metrics ${JSON.stringify(input)} → ${m.status} after ${Math.round(m.ms)} ms (${m.text}); a /v1/check sent meanwhile → ${check.status || "no answer"} after ${Math.round(check.ms)} ms`;
    console.log(`[bug] ${task.meta.figure}`);
    expect(check.status, "POST /v1/check answered while an operator asked for metrics").toBe(200);
    expect(check.ms).toBeLessThan(1_000);
    expect(m.status).toBeGreaterThan(0);
    expect(m.status).toBeLessThan(500);
    expect(m.ms).toBeLessThan(5_000);
  });

  /**
   * `npm start` runs package.json's start script, `tsx server/cli.ts start`. tsx (4.23.15,
   * node_modules/tsx/dist/cli.mjs, relaySignalToChild) relays a SIGTERM/SIGINT it receives to its
   * child and waits 30 ms for the child to acknowledge it; without an answer it sends it again and
   * waits 30 ms more, then kills the child with SIGKILL and exits 143. A server whose event loop is
   * busy for more than ~60 ms when the signal comes (load on a shared machine, GC, a flush waiting
   * 250 ms on a locked database) is hard-killed: the meter's buffer is lost, although the documentation
   * promises that SIGTERM loses nothing. The stall is made deterministic here with SIGSTOP/SIGCONT
   * (150 ms); test 3 met it naturally under load in one run of this suite (exit 143, 125 counts lost).
   * The signal goes to the program the start script runs (so the test passes once the script runs
   * the server in a way that delivers SIGTERM to it, e.g. `node --import tsx server/cli.ts start`).
   */
  it("npm start: SIGTERM while the server stalls 150 ms still stops gracefully, nothing lost", async ({ task }) => {
    const scenario = async (target: "node" | "tsx") => {
      const s = await startServer({ command: startScriptCommand(), env: { KEY_CEILING_PER_MINUTE: "10000000" } });
      others.push(s);
      const acc = await createAccountWithKey(s, "enterprise");
      const node = s.serverPid();
      let exit: Promise<Exit> | null = null;
      const timer = setTimeout(() => {
        process.kill(node, "SIGSTOP");
        exit = target === "node" ? s.sigterm() : s.sigtermStarted();
        setTimeout(() => {
          try {
            process.kill(node, "SIGCONT");
          } catch {
            /* already killed */
          }
        }, 150);
      }, 1_500);
      const load = await runLoad({ url: s.url, connections: 20, durationMs: 10_000, stopOnError: true, body: () => ({ json: JSON.stringify({ key: acc.key }) }) });
      clearTimeout(timer);
      const e = await (exit ?? s.sigterm());
      return { exit: e, answered: load.total.allowed, recorded: rollups(s.dbPath, acc.accountId).minute.allowed };
    };
    const control = await scenario("node");
    const viaTsx = await scenario("tsx");
    task.meta.figure =
      `start script: ${startScriptCommand().map((w, i) => (i === 0 ? w.split("/").pop() : w)).join(" ")}; SIGTERM to the server's node process: exit ${control.exit.code}, ${control.answered} answered, ${control.recorded} recorded; ` +
      `SIGTERM to the start script's process: exit ${viaTsx.exit.code}, ${viaTsx.answered} answered, ${viaTsx.recorded} recorded (lost ${viaTsx.answered - viaTsx.recorded})`;
    console.log(`[bug] ${task.meta.figure}`);
    // Headroom's own shutdown keeps its promise when the signal reaches it...
    expect(control.exit.code).toBe(0);
    expect(control.recorded).toBe(control.answered);
    // ...but not through the tsx wrapper that `npm start` uses.
    expect(viaTsx.exit.code, "tsx exit code (143 = it SIGKILLed the server)").toBe(0);
    expect(viaTsx.recorded).toBe(viaTsx.answered);
  });

  /**
   * A web instance's /healthz waits up to HEALTH_DATABASE_WAIT_MS (1 s) for the database, and answers
   * 200 "degraded" when it does not answer: the balancer must keep the instance (decision 0005). The
   * configuration docs/deploy.md showed had no `timeout check`, so HAProxy allowed a check `inter`
   * (500 ms): a database slow to answer, or a busy machine (several-instances.test.ts under load,
   * "No server is available" for the calls), took every instance out at once. A stand-in instance
   * whose /healthz takes exactly that long makes it deterministic.
   */
  it("the balancer keeps an instance whose /healthz waits as long as it may for the database, and keeps its keep-alive hint to itself", async ({ task }) => {
    const dir = mkdtempSync(join(tmpdir(), "headroom-rel-check-"));
    const slowHealth = http.createServer((req, res) => {
      const answer = () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "degraded", database: "unreachable", pendingUsage: 1 }));
      if (req.url === "/healthz") setTimeout(answer, HEALTH_DATABASE_WAIT_MS + 100);
      else answer();
    });
    slowHealth.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((done) => slowHealth.listen(0, "127.0.0.1", done));
    const lb = await HaProxy.start(dir, [{ name: "web1", port: (slowHealth.address() as AddressInfo).port }]);
    try {
      // Long enough for two failed checks of 500 ms each, twice over.
      const statuses: number[] = [];
      const keepAlive = new Set<string>();
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        const res = await fetch(`${lb.url}/v1/check`, { method: "POST", body: "{}" });
        await res.text();
        statuses.push(res.status);
        keepAlive.add(res.headers.get("keep-alive") ?? "none");
        await new Promise((r) => setTimeout(r, 250));
      }
      const refused = statuses.filter((s) => s !== 200).length;
      task.meta.figure = `/healthz answering after ${HEALTH_DATABASE_WAIT_MS + 100} ms: ${statuses.length} calls through HAProxy in 5 s, ${refused} not answered 200`;
      expect(statuses.filter((s) => s !== 200), `calls through the balancer; what it said:\n${lb.logs()}`).toEqual([]);
      // The instance's keep-alive hint (65 s) is not passed on: HAProxy closes an idle client connection after 30 s,
      // and a client that honoured the hint would send a request on it as it closes ("other side closed").
      expect([...keepAlive]).toEqual(["none"]);
    } finally {
      await lb.stop();
      await new Promise((done) => slowHealth.close(done));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
