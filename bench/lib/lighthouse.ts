/**
 * Lighthouse on the portal (issue #16, "Speed"): a Headroom server with the demo data, as
 * `npm start` runs it (`server/cli.ts start`, a temp DATABASE_PATH, a free port; it builds
 * dist/client first when that is missing or older than its sources), the demo customer
 * acc_demo_acme signed in through its one-time portal link, then the `lighthouse` package against
 * `/usage` (the session cookie passed with every request) and `/sign-in` (signed out), with the
 * mobile preset (Lighthouse's default: a mid-range phone, simulated slow 4G and 4× CPU slowdown) and
 * the desktop preset, in Debian's Chromium (CHROME_PATH, /usr/bin/chromium by default), headless.
 * Runs one after the other (never two Chromiums at once); with more than one run per page and form
 * factor the median run (by performance score) is kept.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch } from "chrome-launcher";
import lighthouse, { desktopConfig, type Config } from "lighthouse";
import { ROOT_DIR } from "./child";

export type FormFactor = "mobile" | "desktop";

export interface LighthouseRun {
  page: string;
  formFactor: FormFactor;
  /** Category scores, 0–100. */
  performance: number;
  accessibility: number;
  bestPractices: number;
  /** Largest Contentful Paint, ms; Total Blocking Time, ms; Cumulative Layout Shift. */
  lcpMs: number;
  tbtMs: number;
  cls: number;
  /** What costs points: performance metrics scored below 0.9, accessibility and best-practices audits that failed. */
  failing: string[];
  /** Every run's performance score, when there was more than one. */
  performanceRuns: number[];
}

export interface LighthouseResult {
  lighthouseVersion: string;
  chromePath: string;
  runsPerPage: number;
  runs: LighthouseRun[];
}

export const LIGHTHOUSE_TARGETS = { performance: { desktop: 95, mobile: 90 }, accessibility: 100, bestPractices: 100 } as const;

const CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu"];
const PAGES = [
  { path: "/usage", signedIn: true },
  { path: "/sign-in", signedIn: false },
] as const;

interface Server {
  url: string;
  portalLink: string;
  stop(): Promise<void>;
}

/** `server/cli.ts start --json` on a temp SQLite file with the demo seeded; resolves once it prints its links. */
async function startDemoServer(log: (msg: string) => void): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "headroom-lighthouse-"));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: join(dir, "headroom.db"), PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", HEADROOM_DEMO: "true", NODE_ENV: "production" };
  // The demo on SQLite and memory counters, whatever the calling shell points at.
  for (const name of ["DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "HEADROOM_SERVER_TOKEN"]) delete env[name];
  const child = spawn(process.execPath, ["--import", "tsx", "server/cli.ts", "start", "--json"], { cwd: ROOT_DIR, env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((done) => setTimeout(done, 6_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => child.kill("SIGKILL"));
  log("  starting a Headroom server with the demo (it builds dist/client first when that is stale)…");
  try {
    const info = await new Promise<{ url: string; portalLink: { url: string } | null }>((resolveStart, rejectStart) => {
      let out = "";
      const timer = setTimeout(() => rejectStart(new Error(`the server did not start within 240 s; output: ${out.slice(-500)}`)), 240_000);
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString("utf8");
        const start = out.indexOf("{");
        if (start === -1) return;
        try {
          const parsed = JSON.parse(out.slice(start)) as { url: string; portalLink: { url: string } | null };
          clearTimeout(timer);
          resolveStart(parsed);
        } catch {
          // Not all of it yet.
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        rejectStart(new Error(`the server exited (${code}) before it started; output: ${out.slice(-500)}`));
      });
    });
    if (!info.portalLink) throw new Error("the server seeded no demo account (no portal link)");
    return { url: info.url, portalLink: info.portalLink.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Follows the one-time portal link once and keeps the session cookie it sets. */
async function signIn(link: string): Promise<string> {
  const res = await fetch(link, { redirect: "manual" });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("headroom_session="));
  if (res.status !== 303 || !cookie) throw new Error(`the portal link answered ${res.status} without a session cookie`);
  return cookie.split(";")[0]!;
}

const MAX_RETRIES = 2;
const score = (x: number | null | undefined) => Math.round((x ?? 0) * 100);

/** `reportDir`: where to write each run's full Lighthouse report (JSON, for the Lighthouse viewer), when given. */
export async function measureLighthouse(opts: { runs: number; reportDir?: string; log: (msg: string) => void }): Promise<LighthouseResult> {
  const chromePath = process.env.CHROME_PATH ?? "/usr/bin/chromium";
  const server = await startDemoServer(opts.log);
  try {
    const cookie = await signIn(server.portalLink);
    const runs: LighthouseRun[] = [];
    let version = "";
    for (const page of PAGES) {
      for (const formFactor of ["mobile", "desktop"] as const) {
        const all: LighthouseRun[] = [];
        let retries = 0;
        for (let i = 0; i < opts.runs; i++) {
          // A fresh browser for every run: no cache, no state carried from the run before.
          const chrome = await launch({ chromePath, chromeFlags: CHROME_FLAGS, logLevel: "silent" });
          try {
            const config: Config | undefined = formFactor === "desktop" ? desktopConfig : undefined;
            const result = await lighthouse(
              `${server.url}${page.path}`,
              {
                port: chrome.port,
                logLevel: "error",
                output: "json",
                onlyCategories: ["performance", "accessibility", "best-practices"],
                ...(page.signedIn ? { extraHeaders: { Cookie: cookie } } : {}),
              },
              config,
            );
            if (!result) throw new Error(`Lighthouse returned nothing for ${page.path} (${formFactor})`);
            const lhr = result.lhr;
            if (lhr.runtimeError) {
              // On a busy machine the trace is now and then lost (NO_NAVSTART, NO_FCP): that run is
              // retried, twice at most for a page and form factor, and the retry is logged.
              const what = `Lighthouse on ${page.path} (${formFactor}): ${lhr.runtimeError.code} ${lhr.runtimeError.message}`;
              if (retries >= MAX_RETRIES) throw new Error(what);
              retries++;
              opts.log(`  ${what}; running it again`);
              i--;
              continue;
            }
            // Signed in, /usage must be the usage page, not the sign-in page it redirects to without a session.
            if (new URL(lhr.finalDisplayedUrl).pathname !== page.path) throw new Error(`${page.path} ended at ${lhr.finalDisplayedUrl}`);
            version = lhr.lighthouseVersion;
            if (opts.reportDir) {
              mkdirSync(opts.reportDir, { recursive: true });
              writeFileSync(join(opts.reportDir, `${page.path.slice(1)}-${formFactor}-${i + 1}.json`), JSON.stringify(lhr));
            }
            const failing = Object.values(lhr.categories).flatMap((c) =>
              c.auditRefs
                .map((ref) => lhr.audits[ref.id]!)
                // Performance: its weighted metrics below "good" (0.9); the other categories: every audit that failed.
                .filter((a, i) => a.score !== null && (c.id === "performance" ? (c.auditRefs[i]!.weight > 0 && a.score < 0.9) : a.score < 1 && a.scoreDisplayMode === "binary"))
                .map((a) => `${c.id}/${a.id}${a.displayValue ? ` (${a.displayValue})` : ""}`),
            );
            const run: LighthouseRun = {
              page: page.path,
              formFactor,
              performance: score(lhr.categories.performance?.score),
              accessibility: score(lhr.categories.accessibility?.score),
              bestPractices: score(lhr.categories["best-practices"]?.score),
              lcpMs: lhr.audits["largest-contentful-paint"]?.numericValue ?? Number.NaN,
              tbtMs: lhr.audits["total-blocking-time"]?.numericValue ?? Number.NaN,
              cls: lhr.audits["cumulative-layout-shift"]?.numericValue ?? Number.NaN,
              failing: [...new Set(failing)],
              performanceRuns: [],
            };
            opts.log(`  ${page.path} ${formFactor}: performance ${run.performance}, accessibility ${run.accessibility}, best practices ${run.bestPractices}, LCP ${run.lcpMs.toFixed(0)} ms, TBT ${run.tbtMs.toFixed(0)} ms, CLS ${run.cls.toFixed(3)}`);
            all.push(run);
          } finally {
            await chrome.kill();
          }
        }
        const sorted = [...all].sort((a, b) => a.performance - b.performance);
        runs.push({ ...sorted[sorted.length >> 1]!, performanceRuns: all.length > 1 ? all.map((r) => r.performance) : [] });
      }
    }
    return { lighthouseVersion: version, chromePath, runsPerPage: opts.runs, runs };
  } finally {
    await server.stop();
  }
}
