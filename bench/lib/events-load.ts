/**
 * /v1/events load: `connections` workers on keep-alive sockets, each POSTing batches of `batch`
 * events with ids unique over the whole run, until the deadline; every request sent is awaited,
 * so the accepted count is exact and can be compared with what the rollups hold afterwards.
 */
import { Agent, request } from "node:http";

export interface EventsLoadResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  requests: number;
  failed: number;
  seconds: number;
  eventsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

let runCounter = 0;

/** One batch body: ISO timestamps spread over the last second, as a provider would report them. */
export function eventsBody(key: string, idPrefix: string, batch: number): string {
  const now = Date.now();
  const parts: string[] = new Array(batch);
  for (let i = 0; i < batch; i++) {
    parts[i] = `{"id":"${idPrefix}-${i}","key":"${key}","cost":1,"timestamp":"${new Date(now - 1000 + i * (1000 / batch)).toISOString()}"}`;
  }
  return `{"events":[${parts.join(",")}]}`;
}

function post(agent: Agent, port: number, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path: "/v1/events",
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export async function eventsLoad(o: { port: number; token: string; key: string; seconds: number; connections: number; batch: number }): Promise<EventsLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const run = `r${++runCounter}`;
  const result = { accepted: 0, duplicates: 0, rejected: 0, requests: 0, failed: 0 };
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  const worker = async (w: number) => {
    for (let b = 0; performance.now() < deadline; b++) {
      const body = eventsBody(o.key, `${run}-w${w}-b${b}`, o.batch);
      const t = performance.now();
      try {
        const res = await post(agent, o.port, o.token, body);
        latencies.push(performance.now() - t);
        result.requests++;
        if (res.status !== 200) {
          result.failed++;
          continue;
        }
        const answer = JSON.parse(res.text) as { accepted: number; duplicates: number; rejected: number };
        result.accepted += answer.accepted;
        result.duplicates += answer.duplicates;
        result.rejected += answer.rejected;
      } catch {
        result.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { ...result, seconds, eventsPerSecond: result.accepted / seconds, latencyP50Ms: pct(0.5), latencyP99Ms: pct(0.99) };
}
