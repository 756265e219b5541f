/**
 * Runs autocannon (programmatic API) against several targets side by side: each is warmed up, then
 * the measured time is cut into rounds and the targets take turns within every round (the order
 * rotating), so a change in the machine's background load hits every target alike and the ratios
 * stay comparable even when the absolute numbers move.
 */
import autocannon from "autocannon";
import type { Target } from "./child";

export interface LoadOptions {
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** Successful (2xx) responses per second over all measured slices. */
  rps: number;
  /** The same, per round (to see how stable the figure was). */
  roundRps: number[];
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Median over the slices of each slice's p50 / p99. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  seconds: number;
  /** The target's CPU time divided by wall time while it was loaded (1.0 = one core busy all the time). */
  serverCpu: number;
  /**
   * The target's CPU time (user + system) per answered request, in µs: what one request costs the
   * server, whoever else is using the machine. Far less sensitive to a busy machine than req/s.
   */
  cpuUsPerRequest: number;
}

export interface Contender {
  name: string;
  target: Target;
  load: LoadOptions;
}

function fire(port: number, o: LoadOptions, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}${o.path}`,
    method: o.method ?? "GET",
    headers: o.headers ?? {},
    ...(o.body !== undefined ? { body: o.body } : {}),
    connections,
    pipelining: 1,
    duration: seconds,
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : 0;
};

export async function sideBySide(
  contenders: Contender[],
  o: { connections: number; seconds: number; warmupSeconds: number; rounds: number; onSlice?: (name: string, round: number, rps: number) => void },
): Promise<Map<string, LoadResult>> {
  for (const c of contenders) if (o.warmupSeconds > 0) await fire(c.target.info.port, c.load, o.connections, o.warmupSeconds);
  const acc = new Map(contenders.map((c) => [c.name, { ok: 0, seconds: 0, requests: 0, non2xx: 0, errors: 0, timeouts: 0, p50: [] as number[], p99: [] as number[], cpuMs: 0, wallMs: 0, roundRps: [] as number[] }]));
  const slice = o.seconds / o.rounds;
  for (const c of contenders) await c.target.send("prof-start");
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + round) % contenders.length]!;
      const a = acc.get(c.name)!;
      const cpu0 = await c.target.send<NodeJS.CpuUsage>("cpu");
      const t0 = performance.now();
      const r = await fire(c.target.info.port, c.load, o.connections, slice);
      a.wallMs += performance.now() - t0;
      const cpu1 = await c.target.send<NodeJS.CpuUsage>("cpu");
      a.cpuMs += (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
      a.ok += r["2xx"];
      a.seconds += r.duration;
      a.requests += r.requests.total;
      a.non2xx += r.non2xx;
      a.errors += r.errors;
      a.timeouts += r.timeouts;
      a.p50.push(r.latency.p50);
      a.p99.push(r.latency.p99);
      a.roundRps.push(r["2xx"] / r.duration);
      o.onSlice?.(c.name, round, r["2xx"] / r.duration);
    }
  }
  for (const c of contenders) await c.target.send("prof-stop");
  const out = new Map<string, LoadResult>();
  for (const c of contenders) {
    const a = acc.get(c.name)!;
    out.set(c.name, {
      rps: a.ok / a.seconds,
      roundRps: a.roundRps.map((x) => Math.round(x)),
      requests: a.requests,
      non2xx: a.non2xx,
      errors: a.errors,
      timeouts: a.timeouts,
      latencyP50Ms: median(a.p50),
      latencyP99Ms: median(a.p99),
      seconds: a.seconds,
      serverCpu: a.cpuMs / a.wallMs,
      cpuUsPerRequest: (a.cpuMs * 1000) / Math.max(1, a.requests),
    });
  }
  return out;
}
