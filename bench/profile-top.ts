/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=<dir> npm run bench`): the functions with the
 * most self time (idle excluded), and the same grouped by package / file. Given a directory, it
 * reads the busiest profile in it.
 *   npx tsx bench/profile-top.ts <file.cpuprofile | dir> [top=25] [requests]
 * With `requests` (how many the target answered while profiled: `requests` in results.json), it
 * also prints µs per request.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

// Piped into `head`: stop quietly when the reader goes away.
process.stdout.on("error", () => process.exit(0));

const [file, topArg, requestsArg] = process.argv.slice(2);
const requests = requestsArg ? Number(requestsArg) : 0;
if (!file) {
  process.stderr.write("usage: tsx bench/profile-top.ts <file.cpuprofile | dir> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 25);

/** Self time per node id, idle and (program) left out. */
function selfTimes(p: Profile): { self: Map<number, number>; byId: Map<number, Node>; busy: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    const name = byId.get(id)?.callFrame.functionName;
    if (name === "(idle)" || name === "(program)") return;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return { self, byId, busy: [...self.values()].reduce((s, x) => s + x, 0) };
}

const files = statSync(file).isDirectory() ? readdirSync(file).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(file, f)) : [file];
const candidates = files.map((f) => ({ f, ...selfTimes(JSON.parse(readFileSync(f, "utf8")) as Profile) }));
const chosen = candidates.sort((a, b) => b.busy - a.busy)[0];
if (!chosen) {
  process.stderr.write(`no .cpuprofile in ${file}\n`);
  process.exit(2);
}
const { self, byId, busy: total } = chosen;
process.stdout.write(`${chosen.f}: ${(total / 1000).toFixed(0)} ms busy (idle excluded)${requests ? `, ${(total / requests).toFixed(1)} µs per request` : ""}\n`);

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith("node:")) return url;
  const w = /\/work\/[^/]+\/(.*)$/.exec(url);
  return w ? w[1]! : url || "(native)";
};
const fns = new Map<string, number>();
const groups = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || "(anonymous)";
  const loc = where(n.callFrame.url);
  const key = `${name}  ${loc}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ""}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  const g = n.callFrame.url ? loc : name;
  groups.set(g, (groups.get(g) ?? 0) + us);
}
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const per = requests ? `${(us / requests).toFixed(2).padStart(7)} µs/req  ` : "";
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${per}${k}\n`);
  }
};
print("self time by function", fns);
print("self time by package / file", groups);
