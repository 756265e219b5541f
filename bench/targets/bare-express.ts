/** Target: a bare Express 5 route, express.json() and a handler answering the same JSON as /v1/check. */
import express from "express";
import type { AddressInfo } from "node:net";
import { serve } from "./protocol";

const sample = JSON.parse(process.env.BENCH_SAMPLE ?? "{}") as Record<string, unknown>;

const app = express();
app.post("/v1/check", express.json(), (req, res) => {
  const body = req.body as { key?: unknown } | undefined;
  if (typeof body?.key !== "string") {
    res.status(400).end();
    return;
  }
  res.json(sample);
});
const server = app.listen(0, "127.0.0.1", () => {
  serve({ port: (server.address() as AddressInfo).port });
});
server.keepAliveTimeout = 5_000;
