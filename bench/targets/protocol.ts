/**
 * The tiny line protocol between bench/run.ts and a target process.
 *
 * The target prints one JSON line on stdout when it is ready (its port and anything the load
 * generator needs), then answers commands read from stdin, one JSON line each:
 *   "cpu"   → { user, system } from process.cpuUsage() (µs), to tell whether the server was the bottleneck
 *   "stats" → whatever `stats()` returns
 *   "stop"  → runs `stop()`, prints its result, and exits
 *   "prof-start" / "prof-stop" → with BENCH_CPU_PROF=<dir>, profiles the measured window only (not the
 *            start-up) with the inspector's CPU profiler and writes <dir>/<BENCH_TARGET_NAME>.cpuprofile
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { createInterface } from "node:readline";

let session: Session | null = null;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) => session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));

async function profStart(): Promise<unknown> {
  if (!process.env.BENCH_CPU_PROF) return { profiling: false };
  session = new Session();
  session.connect();
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return { profiling: true };
}

async function profStop(): Promise<unknown> {
  if (!session || !process.env.BENCH_CPU_PROF) return { profiling: false };
  const { profile } = (await post("Profiler.stop")) as { profile: unknown };
  const file = join(process.env.BENCH_CPU_PROF, `${process.env.BENCH_TARGET_NAME ?? process.pid}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  session = null;
  return { profile: file };
}

export function serve(ready: Record<string, unknown>, hooks: { stats?: () => unknown; stop?: () => unknown | Promise<unknown> } = {}): void {
  const reply = (value: unknown) => process.stdout.write(JSON.stringify(value ?? null) + "\n");
  reply({ ready: true, ...ready });
  const lines = createInterface({ input: process.stdin });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      reply((await hooks.stop?.()) ?? {});
    } catch (err) {
      reply({ error: String(err) });
    }
    process.exit(0);
  };
  lines.on("line", (line) => {
    const cmd = line.trim();
    if (cmd === "cpu") reply(process.cpuUsage());
    else if (cmd === "stats") void Promise.resolve(hooks.stats?.() ?? {}).then(reply, (err: unknown) => reply({ error: String(err) }));
    else if (cmd === "stop") void stop();
    else if (cmd === "prof-start") void profStart().then(reply, (err: unknown) => reply({ error: String(err) }));
    else if (cmd === "prof-stop") void profStop().then(reply, (err: unknown) => reply({ error: String(err) }));
  });
  // The parent went away: do not linger.
  lines.on("close", () => void stop());
}
