/**
 * Target: a real Headroom server (createRuntime + startServer), as `npm start` runs it, at
 * LOG_LEVEL=$BENCH_LOG_LEVEL (info, the default of `npm start`, unless told otherwise) and
 * METER_ACCESS_LOG=$BENCH_METER_ACCESS_LOG (when set), with the Redis counter store when
 * $BENCH_REDIS_URL is set (REDIS_URL, REDIS_KEY_PREFIX=$BENCH_REDIS_PREFIX), on PostgreSQL when
 * $BENCH_DATABASE_URL is set (DATABASE_URL).
 */
import { existsSync, readFileSync } from "node:fs";
import { startServer } from "../../server/main";
import { createFixture, storedCounts, BENCH_SERVER_TOKEN } from "./fixture";
import { serve } from "./protocol";

const logLevel = process.env.BENCH_LOG_LEVEL ?? "info";
const fx = await createFixture({
  LOG_LEVEL: logLevel,
  ...(process.env.BENCH_METER_ACCESS_LOG ? { METER_ACCESS_LOG: process.env.BENCH_METER_ACCESS_LOG } : {}),
  ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL, REDIS_KEY_PREFIX: process.env.BENCH_REDIS_PREFIX ?? "headroom-bench:" } : {}),
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
});
const started = await startServer(fx.runtime);
const { meter, metrics, logger } = fx.runtime.deps;

/** Log lines written so far (after writing out what the logger still holds). */
async function logLines(): Promise<number> {
  if (logLevel === "silent") return 0;
  await new Promise<void>((done) => logger.flush(() => done()));
  if (!existsSync(fx.logPath)) return 0;
  const text = readFileSync(fx.logPath);
  let n = 0;
  for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) n++;
  return n;
}

/** Flushes so far: how many, their total duration, and the rows + ids they wrote (from the meter's own histograms). */
async function flushes(): Promise<{ count: number; seconds: number; rows: number }> {
  const pick = async (h: typeof metrics.flushSeconds) => {
    const values = (await h.get()).values;
    return {
      count: values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0,
      sum: values.find((v) => v.metricName?.endsWith("_sum"))?.value ?? 0,
    };
  };
  const [time, rows] = await Promise.all([pick(metrics.flushSeconds), pick(metrics.flushRows)]);
  return { count: time.count, seconds: time.sum, rows: rows.sum };
}

/** Calls decided so far (headroom_decisions_total, every outcome). */
async function decisions(): Promise<number> {
  return (await metrics.decisions.get()).values.reduce((sum, v) => sum + v.value, 0);
}

serve(
  { port: started.http.port, key: fx.key, token: BENCH_SERVER_TOKEN, plan: fx.plan, logLevel },
  {
    stats: async () => ({ pending: meter.pendingCount(), flushes: await flushes(), decisions: await decisions(), counters: meter.counterStatus() }),
    stop: async () => {
      const pendingAtStop = meter.pendingCount();
      const t0 = performance.now();
      await meter.stop(4_000);
      const finalFlushMs = performance.now() - t0;
      const counts = await storedCounts(fx);
      await started.stop();
      const logged = await logLines();
      fx.cleanup();
      return { pendingAtStop, finalFlushMs, ...counts, logLines: logged };
    },
  },
);
