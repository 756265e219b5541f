/** Target: a real Headroom server (createRuntime + startServer), as `npm start` runs it. */
import { startServer } from "../../server/main";
import { createFixture, storedCounts, BENCH_SERVER_TOKEN } from "./fixture";
import { serve } from "./protocol";

const fx = createFixture();
const started = await startServer(fx.runtime);
const { meter, metrics } = fx.runtime.deps;

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

serve(
  { port: started.http.port, key: fx.key, token: BENCH_SERVER_TOKEN, plan: fx.plan },
  {
    stats: async () => ({ pending: meter.pendingCount(), flushes: await flushes() }),
    stop: async () => {
      const pendingAtStop = meter.pendingCount();
      const t0 = performance.now();
      await meter.stop(4_000);
      const finalFlushMs = performance.now() - t0;
      const counts = storedCounts(fx);
      await started.stop();
      fx.cleanup();
      return { pendingAtStop, finalFlushMs, ...counts };
    },
  },
);
