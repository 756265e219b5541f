import { pgTestDatabase } from "../../testing/pg-database";

/**
 * `node --import tsx server/db/pg/explain-usage.ts [rows…]`: grows usage_minute in a throwaway schema
 * (100 accounts × 2 keys, one row per key and minute, time-ordered as the meter's flushes write them)
 * and prints, at each size, the plan, the shared buffers touched and the time of every query shape
 * that reads the table. Flat buffers as the table grows = the index keeps each read to its own rows.
 */
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [100_000, 1_000_000, 3_000_000];
const T0 = Date.parse("2026-11-01T00:00:00Z");
const KEYS = 200;
const MINUTE = 60_000;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Shared Hit Blocks": number;
  "Shared Read Blocks": number;
  Plans?: PlanNode[];
}

const d = await pgTestDatabase({ statementTimeoutMs: 0 });
const q = (text: string, params: unknown[] = []) => d.pool.query(text, params);
let minutesSoFar = 0;

const shapes = (now: number): Record<string, [string, unknown[]]> => ({
  "usageMinutes: last hour by minute": [
    "select minute_ms, sum(allowed), sum(would_throttle), sum(throttled), sum(ceiling) from usage_minute where account_id = $1 and meter in ($2, $3) and minute_ms >= $4 and minute_ms <= $5 group by minute_ms",
    ["acc_42", "api", "", now - 59 * MINUTE, now],
  ],
  "callsServed: a partial day (10 h)": [
    "select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = $1 and meter in ($2, $3) and minute_ms >= $4 and minute_ms < $5",
    ["acc_42", "api", "", now - 600 * MINUTE, now],
  ],
  "accountMinute: the current minute": ["select coalesce(sum(allowed + would_throttle), 0) from usage_minute where account_id = $1 and meter in ($2, $3) and minute_ms = $4", ["acc_42", "api", "", now]],
  "operator: a day by minute": [
    "select minute_ms, sum(allowed + would_throttle + throttled) from usage_minute where account_id = $1 and meter in ($2, $3) and minute_ms >= $4 and minute_ms < $5 group by minute_ms",
    ["acc_42", "api", "", now - 1440 * MINUTE, now],
  ],
});

try {
  for (const rows of SIZES) {
    const started = performance.now();
    const minutes = Math.ceil(rows / KEYS);
    // The first day's rows carry meter '' (written before meters were counted apart), the rest the meter's id.
    await q(
      `insert into usage_minute (minute_ms, key_id, account_id, meter, allowed, would_throttle, throttled, ceiling)
       select $1::bigint + m * ${MINUTE}, 'key_' || k, 'acc_' || (k / 2), case when m < 1440 then '' else 'api' end, (m * 7 + k) % 50, (m + k) % 3, 0, 0
       from generate_series($2::int, $3::int - 1) m cross join generate_series(0, ${KEYS - 1}) k order by m, k`,
      [T0, minutesSoFar, minutes],
    );
    minutesSoFar = minutes;
    await q("analyze usage_minute");
    const count = (await q("select count(*)::int as n, pg_size_pretty(pg_total_relation_size('usage_minute')) as size from usage_minute")).rows[0] as { n: number; size: string };
    console.log(`\n${count.n} rows (${count.size}), loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const now = T0 + (minutesSoFar - 1) * MINUTE;
    for (const [name, [text, params]] of Object.entries(shapes(now))) {
      for (let i = 0; i < 2; i++) await q(text, params);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await q(text, params);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const explained = (await q(`explain (analyze, buffers, format json) ${text}`, params)).rows[0] as { "QUERY PLAN": Array<{ Plan: PlanNode; "Execution Time": number }> };
      const { Plan: plan, "Execution Time": exec } = explained["QUERY PLAN"][0]!;
      const nodes: string[] = [];
      const walk = (p: PlanNode) => {
        nodes.push(`${p["Node Type"]}${p["Index Name"] ? ` ${p["Index Name"]}` : ""}`);
        for (const c of p.Plans ?? []) walk(c);
      };
      walk(plan);
      console.log(
        `  ${name.padEnd(36)} buffers ${String(plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]).padStart(5)}  rows ${String(plan["Actual Rows"]).padStart(5)}  exec ${exec.toFixed(2)} ms  round trip (median of 5) ${times[2]!.toFixed(2)} ms  ${nodes.join(" > ")}`,
      );
    }
  }
} finally {
  await d.close();
}
