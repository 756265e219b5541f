/**
 * In-process decision latency: meter.check(key, 1) on the Meter the server builds (metrics on,
 * system clock), timed call by call with process.hrtime.bigint() (the timer's own cost, measured
 * the same way, is subtracted) and in batches of 1,000 calls (no timer in the loop).
 * Prints one JSON line and exits.
 */
import type { Meter } from "../../server/metering/meter";
import { createFixture } from "./fixture";

const CALLS = Number(process.env.BENCH_DECIDE_CALLS ?? 200_000);
const WARMUP = Math.min(50_000, CALLS);
const BATCH = 1_000;

const fx = await createFixture();
// Without REDIS_URL the counters are in memory and every check answers at once.
if (fx.runtime.deps.meter.counterStatus().backend !== "memory") throw new Error("the decision bench measures the memory counter store");
const meter = fx.runtime.deps.meter as Meter<true>;
meter.start();
const key = fx.key;

let lastFlush = performance.now();
const maybeFlush = () => {
  // The flush timer cannot fire inside a synchronous loop: flush on its schedule, outside the timings.
  if (performance.now() - lastFlush >= 250) {
    meter.flush();
    lastFlush = performance.now();
  }
};

let allowed = 0;
for (let i = 0; i < WARMUP; i++) {
  const r = meter.check(key, 1);
  if (r.ok && r.allowed) allowed++;
  if (i % BATCH === 0) maybeFlush();
}

// The timer's own cost: an empty pair of hrtime.bigint() calls.
const overheadSamples = new Float64Array(100_000);
for (let i = 0; i < overheadSamples.length; i++) {
  const a = process.hrtime.bigint();
  const b = process.hrtime.bigint();
  overheadSamples[i] = Number(b - a);
}
overheadSamples.sort();
const overheadNs = overheadSamples[overheadSamples.length >> 1]!;

// Call by call.
const perCall = new Float64Array(CALLS);
for (let i = 0; i < CALLS; i++) {
  const a = process.hrtime.bigint();
  const r = meter.check(key, 1);
  const b = process.hrtime.bigint();
  perCall[i] = Number(b - a) - overheadNs;
  if (r.ok && r.allowed) allowed++;
  if (i % BATCH === 0) maybeFlush();
}
const meanNs = perCall.reduce((s, x) => s + x, 0) / perCall.length;
perCall.sort();
const pct = (arr: Float64Array, p: number) => arr[Math.min(arr.length - 1, Math.floor(arr.length * p))]!;

// In batches, no timer inside the loop.
const batches = new Float64Array(Math.max(1, Math.floor(CALLS / BATCH)));
for (let b = 0; b < batches.length; b++) {
  const a = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) {
    const r = meter.check(key, 1);
    if (r.ok && r.allowed) allowed++;
  }
  batches[b] = Number(process.hrtime.bigint() - a) / BATCH;
  maybeFlush();
}
const batchMeanNs = batches.reduce((s, x) => s + x, 0) / batches.length;
batches.sort();

await meter.stop(4_000);
await fx.runtime.database.close();
fx.cleanup();

const total = WARMUP + CALLS + batches.length * BATCH;
process.stdout.write(
  JSON.stringify({
    calls: CALLS,
    plan: fx.plan,
    allowedAll: allowed === total,
    timerOverheadNs: overheadNs,
    meanUs: meanNs / 1000,
    medianUs: pct(perCall, 0.5) / 1000,
    p90Us: pct(perCall, 0.9) / 1000,
    p99Us: pct(perCall, 0.99) / 1000,
    p999Us: pct(perCall, 0.999) / 1000,
    maxUs: perCall[perCall.length - 1]! / 1000,
    batchMeanUs: batchMeanNs / 1000,
    batchMedianUs: pct(batches, 0.5) / 1000,
    batchP99Us: pct(batches, 0.99) / 1000,
  }) + "\n",
);
process.exit(0);
