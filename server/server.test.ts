import net from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { KEEP_ALIVE_TIMEOUT_MS, listen, type RunningServer } from "./server";

let running: RunningServer | null = null;
afterEach(async () => {
  await running?.close(100);
  running = null;
});

async function start(): Promise<RunningServer> {
  const app = express();
  app.get("/ping", (_req, res) => res.json({ ok: true }));
  running = await listen(app, { port: 0, host: "127.0.0.1" });
  return running;
}

/** A raw keep-alive connection: sends a request and resolves with the response's head, or rejects if the server closed the connection. */
function connection(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  let buffered = "";
  let closed = false;
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (buffered += d));
  socket.on("close", () => (closed = true));
  socket.on("error", () => (closed = true));
  const request = async (): Promise<string> => {
    buffered = "";
    if (closed) throw new Error("the server had closed the connection");
    socket.write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    for (;;) {
      if (buffered.includes('{"ok":true}')) return buffered.split("\r\n")[0]!;
      if (closed) throw new Error(`the server closed the connection without an answer (${JSON.stringify(buffered)})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { request, socket, isClosed: () => closed };
}

describe("listen", () => {
  it("keeps an idle keep-alive connection longer than a load balancer keeps its own (Node's 5 s default would close it under the balancer)", async () => {
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    const srv = await start();
    const c = connection(srv.port);
    expect(await c.request()).toBe("HTTP/1.1 200 OK");
    // Idle past Node's default keep-alive timeout (5 s, and the second Node adds before it closes): a
    // balancer reusing the connection now must get an answer.
    await new Promise((r) => setTimeout(r, 7_000));
    expect(c.isClosed()).toBe(false);
    expect(await c.request()).toBe("HTTP/1.1 200 OK");
    c.socket.destroy();
  }, 20_000);

  it("still stops at once with idle keep-alive connections open", async () => {
    const srv = await start();
    const c = connection(srv.port);
    expect(await c.request()).toBe("HTTP/1.1 200 OK");
    const t = performance.now();
    await srv.close(4_000);
    running = null;
    expect(performance.now() - t).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.isClosed()).toBe(true);
  });
});
