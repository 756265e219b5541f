import { afterAll, describe, expect, it } from "vitest";
import { rollups, withDb } from "./lib/db";
import { nowAbs, runLoad, sendAll } from "./lib/load";
import { createAccountWithKey, ensureStopped, errorLogLines, FLUSH_MS, healthz, rest, startServer, type ServerProcess } from "./lib/server";

/**
 * The durability contract (docs/metering.md, "Durability"): "A hard kill can lose at most the last flush interval of counts
 * — and loses their ids with them, so a retried call is counted exactly once; nothing is ever counted
 * twice." and "SIGTERM writes the buffer before exit".
 *
 * Every call carries a unique idempotency id, so what was recorded can be told apart call by call:
 * `metered_ids` is written in the same transaction as the counts.
 */

// The per-key safety ceiling would refuse most of this load; these tests are about counting.
const ENV = { KEY_CEILING_PER_MINUTE: "10000000" };

/**
 * What a kill can lose: the calls buffered since the last flush began. The flush timer fires every
 * METER_FLUSH_MS, but on a saturated event loop a timer fires late and the flush transaction itself
 * takes time, so the window is METER_FLUSH_MS + MARGIN_MS. The margin is one more interval (250 ms).
 * The bound is measured, not computed from an average: it is the number of allowed answers the
 * client received in the last METER_FLUSH_MS + MARGIN_MS before the kill (the machine is shared and
 * the request rate varies several-fold between runs, so an average rate over the run would not do).
 */
const MARGIN_MS = 250;

const servers: ServerProcess[] = [];
afterAll(async () => {
  // The restarted server first: it shares its data directory with the first, removed when it stops.
  for (const s of [...servers].reverse()) await ensureStopped(s);
});
const start = async (dir?: string) => {
  const s = await startServer({ dir, env: ENV });
  servers.push(s);
  return s;
};
const recordedIds = (dbPath: string, accountId: string) =>
  new Set(withDb(dbPath, (db) => db.prepare("select id from metered_ids where account_id = ?").pluck().all(accountId) as string[]));

describe("durability", () => {
  it("2. kill -9 under load, restart, re-send every id → each counted once", async ({ task }) => {
    const first = await start();
    const acc = await createAccountWithKey(first, "enterprise");
    const killAfterMs = 3_000 + Math.round(Math.random() * 2_000);
    let killedAt = 0;
    const t0 = nowAbs();
    const killer = setTimeout(() => {
      killedAt = nowAbs();
      void first.sigkill();
    }, killAfterMs);
    const load = await runLoad({
      url: first.url,
      connections: 50,
      durationMs: 30_000,
      stopOnError: true,
      timeline: true,
      body: (w, seq) => {
        const id = `k9-${w}-${seq}`;
        return { json: JSON.stringify({ key: acc.key, id }), id };
      },
    });
    clearTimeout(killer);
    const exit = await first.exited;
    expect(exit.signal).toBe("SIGKILL");

    const answered = load.total.allowed;
    const rate = answered / ((killedAt - t0) / 1000);
    // Every answer here is allowed (no caps, no ceiling): the answers of the last window are the bound.
    const bound = load.timeline.filter(([, end]) => end >= killedAt - (FLUSH_MS + MARGIN_MS)).length;
    const lastInterval = load.timeline.filter(([, end]) => end >= killedAt - FLUSH_MS).length;

    // The same database: the server starts and answers.
    const second = await start(first.dir);
    expect(await healthz(second)).toBe(true);
    const probe = await createAccountWithKey(second, "enterprise", "probe");
    const probed = await rest<{ allowed: boolean }>(second, "POST", "/v1/check", { key: probe.key });
    expect(probed.status).toBe(200);
    expect(probed.json.allowed).toBe(true);

    const before = rollups(second.dbPath, acc.accountId);
    const recorded = recordedIds(second.dbPath, acc.accountId);
    const lost = answered - before.minute.allowed;

    // Re-send every id sent before the kill, answered or not.
    const sent = load.sentIds;
    const replies = await sendAll(second.url, sent.map((id) => JSON.stringify({ key: acc.key, id })));
    let countedTwice = 0;
    let notCountedNow = 0;
    let non200 = 0;
    replies.forEach((r, i) => {
      if (r.status !== 200 || !r.json) return non200++;
      const wasRecorded = recorded.has(sent[i]!);
      if (wasRecorded && !r.json.duplicate) countedTwice++;
      if (!wasRecorded && r.json.duplicate) notCountedNow++;
    });
    const stop = await second.sigterm();
    const after = rollups(second.dbPath, acc.accountId);
    const distinct = new Set(sent).size;

    task.meta.figure =
      `${load.sent} sent, ${answered} allowed answers at ${Math.round(rate)}/s, SIGKILL at ${Math.round(killedAt - t0)} ms; recorded ${before.minute.allowed}, ` +
      `lost ${lost} (answers in the last ${FLUSH_MS} ms: ${lastInterval}; bound: in the last ${FLUSH_MS + MARGIN_MS} ms: ${bound}); re-sent ${sent.length}: counted twice ${countedTwice}, lost for good ${notCountedNow}; final ${after.minute.allowed} = ${distinct} distinct ids`;
    console.log(`[2] ${task.meta.figure}`);

    expect(load.non200).toEqual({});
    expect(load.total.refused).toBe(0);
    expect([...load.answersById.values()].filter((a) => a.duplicate)).toHaveLength(0);
    // Counts and ids are committed together, in the minute and the day rollups alike.
    expect(before.ids).toBe(before.minute.allowed);
    expect(before.day.allowed).toBe(before.minute.allowed);
    // Nothing recorded that was not answered, and at most one flush interval (+ margin) lost.
    expect([...recorded].filter((id) => !load.answersById.has(id))).toEqual([]);
    expect(before.minute.allowed).toBeLessThanOrEqual(answered);
    expect(before.minute.allowed).toBeGreaterThanOrEqual(answered - bound);
    // The retry: recorded ids are duplicates and not counted again; lost ids are counted now.
    expect(non200).toBe(0);
    expect(countedTwice).toBe(0);
    expect(notCountedNow).toBe(0);
    expect(stop.code).toBe(0);
    expect(after.minute.allowed).toBe(distinct);
    expect(after.day.allowed).toBe(distinct);
    expect(after.ids).toBe(distinct);
    expect(errorLogLines(first.logs() + second.logs())).toEqual([]);
  });

  // The signal goes to the node process that runs the server (ServerProcess.sigterm). Sent to the tsx
  // wrapper that `npm start` runs instead, it can become a SIGKILL: see regressions.test.ts.
  it("3. SIGTERM under load → exit 0 within 5 s, nothing lost", async ({ task }) => {
    const srv = await start();
    const acc = await createAccountWithKey(srv, "enterprise");
    let exitPromise: Promise<Awaited<ReturnType<ServerProcess["sigterm"]>>> | null = null;
    const stopper = setTimeout(() => (exitPromise = srv.sigterm()), 3_000);
    const load = await runLoad({
      url: srv.url,
      connections: 50,
      durationMs: 30_000,
      stopOnError: true,
      body: (w, seq) => {
        const id = `term-${w}-${seq}`;
        return { json: JSON.stringify({ key: acc.key, id }), id };
      },
    });
    clearTimeout(stopper);
    const exit = await (exitPromise ?? srv.sigterm());
    const db = rollups(srv.dbPath, acc.accountId);
    const recorded = recordedIds(srv.dbPath, acc.accountId);
    const answeredIds = [...load.answersById.keys()];
    task.meta.figure =
      `${load.sent} sent, ${load.total.allowed} allowed answers in ${Math.round(load.elapsedMs)} ms, ${load.errors} refused connections after the signal; ` +
      `SIGTERM to the server's node process → exit ${exit.code}${exit.signal ? ` ${exit.signal}` : ""} in ${Math.round(exit.ms ?? -1)} ms; recorded ${db.minute.allowed} (lost ${load.total.allowed - db.minute.allowed})`;
    console.log(`[3] ${task.meta.figure}`);

    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(0);
    expect(exit.ms!).toBeLessThan(5_000);
    expect(load.non200).toEqual({});
    expect(load.total.allowed).toBeGreaterThan(1_000);
    expect(db.minute.allowed).toBe(load.total.allowed);
    expect(db.day.allowed).toBe(load.total.allowed);
    expect(db.ids).toBe(load.total.allowed);
    expect(answeredIds.filter((id) => !recorded.has(id))).toEqual([]);
    expect(errorLogLines(srv.logs())).toEqual([]);
  });
});
