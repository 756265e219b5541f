import http from "node:http";
import { SERVER_TOKEN } from "./server";

/** Absolute milliseconds comparable across threads (performance.now() has a per-thread origin). */
export const nowAbs = () => performance.timeOrigin + performance.now();

export interface CheckAnswer {
  allowed: boolean;
  decision: string;
  duplicate: boolean;
  account: { id: string };
}

export interface Tally {
  allowed: number;
  refused: number;
  byDecision: Record<string, number>;
}

export interface LoadResult {
  /** Requests written (including those that got no answer). */
  sent: number;
  /** 200 answers parsed. */
  answered: number;
  /** Answers other than 200. */
  non200: Record<number, number>;
  /** Requests that failed at the socket (refused, reset, hung up). */
  errors: number;
  firstError: string | null;
  elapsedMs: number;
  maxLatencyMs: number;
  total: Tally;
  byAccount: Map<string, Tally>;
  /** Idempotency ids sent, in order (when the body generator gives one). */
  sentIds: string[];
  /** id → answer, for the answered requests that carried an id. */
  answersById: Map<string, CheckAnswer>;
  /** [start, end] of each answered request, absolute ms (only when `timeline` is asked for). */
  timeline: Array<[number, number]>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationMs: number;
  /** The JSON body of request `seq` of worker `worker`, and its idempotency id if it has one. */
  body: (worker: number, seq: number) => { json: string; id?: string };
  /** A worker stops at its first socket error (the server was killed or is stopping). */
  stopOnError?: boolean;
  /** Stops the run early. */
  signal?: AbortSignal;
  timeline?: boolean;
  path?: string;
}

function post(agent: http.Agent, url: URL, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method: "POST",
        headers: { authorization: `Bearer ${SERVER_TOKEN}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("request timed out after 10 s")));
    req.on("error", reject);
    req.end(body);
  });
}

const emptyTally = (): Tally => ({ allowed: 0, refused: 0, byDecision: {} });
function add(t: Tally, a: CheckAnswer) {
  if (a.allowed) t.allowed++;
  else t.refused++;
  t.byDecision[a.decision] = (t.byDecision[a.decision] ?? 0) + 1;
}

/**
 * A bounded closed-loop load generator: `connections` workers, each with its own keep-alive socket,
 * send one request after the other until `durationMs` has passed. Every answer's body is parsed.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections });
  const r: LoadResult = {
    sent: 0,
    answered: 0,
    non200: {},
    errors: 0,
    firstError: null,
    elapsedMs: 0,
    maxLatencyMs: 0,
    total: emptyTally(),
    byAccount: new Map(),
    sentIds: [],
    answersById: new Map(),
    timeline: [],
  };
  const started = performance.now();
  const deadline = started + o.durationMs;
  const worker = async (w: number) => {
    for (let seq = 0; performance.now() < deadline && !o.signal?.aborted; seq++) {
      const { json, id } = o.body(w, seq);
      if (id !== undefined) r.sentIds.push(id);
      r.sent++;
      const t0 = nowAbs();
      let res: { status: number; text: string };
      try {
        res = await post(agent, url, o.path ?? "/v1/check", json);
      } catch (err) {
        r.errors++;
        r.firstError ??= String(err);
        if (o.stopOnError) return;
        continue;
      }
      const t1 = nowAbs();
      if (t1 - t0 > r.maxLatencyMs) r.maxLatencyMs = t1 - t0;
      if (o.timeline) r.timeline.push([t0, t1]);
      if (res.status !== 200) {
        r.non200[res.status] = (r.non200[res.status] ?? 0) + 1;
        continue;
      }
      const a = JSON.parse(res.text) as CheckAnswer;
      r.answered++;
      add(r.total, a);
      let t = r.byAccount.get(a.account.id);
      if (!t) r.byAccount.set(a.account.id, (t = emptyTally()));
      add(t, a);
      if (id !== undefined) r.answersById.set(id, a);
    }
  };
  await Promise.all(Array.from({ length: o.connections }, (_, w) => worker(w)));
  r.elapsedMs = performance.now() - started;
  agent.destroy();
  return r;
}

/** Sends many bodies with bounded concurrency and returns the parsed answers, in order. */
export async function sendAll(url: string, bodies: string[], concurrency = 50): Promise<Array<{ status: number; json: CheckAnswer | null }>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const u = new URL(url);
  const out: Array<{ status: number; json: CheckAnswer | null }> = new Array(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const res = await post(agent, u, "/v1/check", bodies[i]!);
        out[i] = { status: res.status, json: res.status === 200 ? (JSON.parse(res.text) as CheckAnswer) : null };
      }
    }),
  );
  agent.destroy();
  return out;
}
