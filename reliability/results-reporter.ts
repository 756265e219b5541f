import type { Reporter, TestModule } from "vitest/node";

/** What a test puts in `task.meta.figure`: one line of numbers for the results table. */
declare module "vitest" {
  interface TaskMeta {
    figure?: string;
  }
}

/** Prints the results table (test, figure, pass/fail) after the run. */
export default class ResultsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: Array<[string, string, string]> = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        rows.push([t.name, t.meta().figure ?? "", state === "passed" ? "pass" : state === "failed" ? "FAIL" : state]);
      }
    }
    if (!rows.length) return;
    // Numbered as in the brief (1 … 7b), then the known bugs.
    rows.sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }));
    const w0 = Math.min(72, Math.max(4, ...rows.map((r) => r[0].length)));
    const lines = [
      "",
      "Reliability results",
      `${"test".padEnd(w0)} | result | figure`,
      `${"-".repeat(w0)}-|--------|-------`,
      ...rows.map(([name, figure, result]) => `${(name.length > w0 ? name.slice(0, w0 - 1) + "…" : name).padEnd(w0)} | ${result.padEnd(6)} | ${figure}`),
      "",
    ];
    process.stdout.write(lines.join("\n") + "\n");
  }
}
