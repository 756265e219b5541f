/**
 * Target (baseline): a bare node:http handler that reads the same JSON body as /v1/check, parses
 * it, and answers a JSON body of the same shape and size as /v1/check's answer (BENCH_SAMPLE).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "./protocol";

const sample = JSON.parse(process.env.BENCH_SAMPLE ?? "{}") as Record<string, unknown>;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")) as { key?: unknown; cost?: unknown };
    if (typeof body.key !== "string") {
      res.writeHead(400).end();
      return;
    }
    const text = JSON.stringify(sample);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, "127.0.0.1", () => {
  serve({ port: (server.address() as AddressInfo).port });
});
