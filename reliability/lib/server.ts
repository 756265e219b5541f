import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";

/** The repository root (reliability/lib/ → ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");

/** Where the servers run from: the snapshot of server/ and shared/ made by global-setup.ts. */
export const sourceDir = (): string => inject("sourceDir");

export const SERVER_TOKEN = "reliability-server-token-0123456789abcdef";
export const FLUSH_MS = 250;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the signal we sent to the exit (null: exited on its own). */
  ms: number | null;
}

export interface ServerProcess {
  /** http://127.0.0.1:<port>: where requests go. */
  url: string;
  /** The URL the server prints (http://localhost:<port>): its own idea of its origin. */
  publicUrl: string;
  port: number;
  dir: string;
  dbPath: string;
  proc: ChildProcess;
  /** Everything the process printed after its start-up JSON (pino log lines at LOG_LEVEL=warn). */
  logs(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  exited: Promise<Exit>;
  /**
   * SIGTERM to the node process that runs the server (tsx's child), then waits for the process
   * started (tsx) to exit with the server's exit code: the signal reaches Headroom's own shutdown.
   * (Sent to tsx instead, it can become a SIGKILL: see sigtermStarted and regressions.test.ts.)
   */
  sigterm(): Promise<Exit>;
  /** SIGTERM to the process started (tsx, which relays it to the server), then waits for the exit. */
  sigtermStarted(): Promise<Exit>;
  /** The pid of the node process that runs server/cli.ts (tsx's child). */
  serverPid(): number;
  /** SIGKILL to the whole process group: tsx and the node process that runs the server. */
  sigkill(): Promise<Exit>;
}

export interface StartOptions {
  /** The command line to run (default: tsx server/cli.ts start --json); see startScriptCommand(). */
  command?: string[];
  /** Reuse a data directory (restart on the same database); a fresh temp dir otherwise. */
  dir?: string;
  demo?: boolean;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

/** The environment of a server or CLI process: a clean one, so the runs are the same everywhere. */
export function serverEnv(dir: string, opts: StartOptions = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    DATABASE_PATH: join(dir, "headroom.db"),
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    HEADROOM_DEMO: opts.demo ? "true" : "false",
    HEADROOM_SERVER_TOKEN: SERVER_TOKEN,
    METER_FLUSH_MS: String(FLUSH_MS),
    ...opts.env,
  };
}

/** Servers still running: killed when the test process exits, whatever happened to the test. */
const started = new Set<ChildProcess>();
process.on("exit", () => {
  for (const proc of started) killGroup(proc, "SIGKILL");
});

/**
 * Starts `tsx server/cli.ts start --json` as a child process in its own process group and resolves
 * once it printed its start-up JSON (it prints it only when listening).
 */
export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "headroom-rel-"));
  const env = serverEnv(dir, opts);
  const [cmd, ...args] = opts.command ?? [TSX, "server/cli.ts", "start", "--json"];
  const proc = spawn(cmd!, args, { cwd: sourceDir(), env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  started.add(proc);
  proc.on("exit", () => started.delete(proc));
  let out = "";
  let after = "";
  let info: { url: string } | null = null;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let signalledAt: number | null = null;
  let exitMs: number | null = null;
  proc.on("exit", (code, signal) => {
    exitInfo = { code, signal };
    exitMs = signalledAt === null ? null : performance.now() - signalledAt;
  });
  // Resolved on "close", after the last output was read (the logs are flushed at exit).
  const exited = new Promise<Exit>((done) => {
    proc.on("close", () => done({ ...exitInfo!, ms: exitMs }));
  });
  const onData = (chunk: Buffer) => {
    const s = chunk.toString("utf8");
    if (info) {
      after += s;
      return;
    }
    out += s;
    // The JSON is pretty-printed: from `{\n  "url"` to a closing brace alone on its line.
    const start = out.indexOf('{\n  "url"');
    if (start === -1) return;
    let end = out.indexOf("\n}", start);
    while (end !== -1) {
      try {
        info = JSON.parse(out.slice(start, end + 2)) as { url: string };
        after += out.slice(0, start) + out.slice(end + 2);
        return;
      } catch {
        end = out.indexOf("\n}", end + 2);
      }
    }
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", (c: Buffer) => {
    if (info) after += c.toString("utf8");
    else out += c.toString("utf8");
  });

  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  while (!info) {
    if (exitInfo) throw new Error(`the server exited during start-up (${JSON.stringify(exitInfo)}):\n${out}`);
    if (Date.now() > deadline) {
      killGroup(proc, "SIGKILL");
      throw new Error(`the server did not print its start-up JSON in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const publicUrl = (info as { url: string }).url;
  const port = Number(new URL(publicUrl).port);
  const srv: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    publicUrl,
    port,
    dir,
    dbPath: env.DATABASE_PATH!,
    proc,
    logs: () => after,
    alive: () => exitInfo === null,
    exited,
    sigterm: async () => {
      if (exitInfo) return exited;
      let pid = proc.pid!;
      try {
        pid = serverPidOf(proc.pid!);
      } catch {
        /* the server process is gone already: tell the one started */
      }
      signalledAt = performance.now();
      process.kill(pid, "SIGTERM");
      return exited;
    },
    serverPid: () => serverPidOf(proc.pid!),
    sigtermStarted: async () => {
      if (exitInfo) return exited;
      signalledAt = performance.now();
      proc.kill("SIGTERM");
      return exited;
    },
    sigkill: async () => {
      if (exitInfo) return exited;
      signalledAt = performance.now();
      killGroup(proc, "SIGKILL");
      return exited;
    },
  };
  return srv;
}

const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const cmdlineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};

/**
 * The node process that runs server/cli.ts: the deepest process of the tree started that has it on
 * its command line (tsx runs the script in a child node process; esbuild's service is below that).
 */
function serverPidOf(root: number): number {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...childrenOf(tree[i]!));
  const running = tree.filter((p) => cmdlineOf(p).includes("server/cli.ts"));
  if (!running.length) throw new Error(`no process running server/cli.ts under ${root}`);
  return running.at(-1)!;
}

/**
 * The command line of package.json's "start" script (what `npm start` runs; today `tsx server/cli.ts
 * start`) with `--json`, its program resolved in node_modules/.bin. Run without npm and a shell, so
 * that a signal reaches that program as a process manager would send it.
 */
export function startScriptCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(sourceDir(), "package.json"), "utf8")) as { scripts: { start: string } };
  const [program, ...args] = pkg.scripts.start.trim().split(/\s+/);
  const bin = join(sourceDir(), "node_modules/.bin", program!);
  return [existsSync(bin) ? bin : program!, ...args, "--json"];
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Stops a server at the end of a test file, whatever state it is in (SIGTERM, then SIGKILL after
 * 6 s), and removes its data directory (kept when RELIABILITY_KEEP=1, to look at the database).
 */
export async function ensureStopped(srv: ServerProcess | undefined): Promise<void> {
  if (!srv) return;
  if (srv.alive()) {
    const timer = setTimeout(() => killGroup(srv.proc, "SIGKILL"), 6_000);
    await srv.sigterm();
    clearTimeout(timer);
  }
  // tsx's own child, if it outlived tsx.
  killGroup(srv.proc, "SIGKILL");
  if (process.env.RELIABILITY_KEEP !== "1") rmSync(srv.dir, { recursive: true, force: true });
}

/**
 * Runs a CLI command against the same database (e.g. `operator-link --json`) and parses its JSON.
 * Asynchronously: a test's event loop blocked for seconds would keep reusing keep-alive sockets the
 * server has meanwhile closed.
 */
export function cli<T>(dir: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(TSX, ["server/cli.ts", ...args, "--json"], { cwd: sourceDir(), env: serverEnv(dir), encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cli ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

// ---- REST helpers ------------------------------------------------------------------------------

export const bearer = { authorization: `Bearer ${SERVER_TOKEN}` };

export async function rest<T = unknown>(srv: Pick<ServerProcess, "url">, method: string, path: string, body?: unknown, headers: Record<string, string> = bearer) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, text, json: json as T, headers: res.headers };
}

let seq = 0;
/** Creates an account and one key through /v1; returns what the tests need. */
export async function createAccountWithKey(srv: ServerProcess, planId: string, label = planId) {
  const n = `${Date.now().toString(36)}${(seq++).toString(36)}`;
  const email = `${label}-${n}@reliability.example`;
  const acc = await rest<{ id: string }>(srv, "POST", "/v1/accounts", { name: `Reliability ${label} ${n}`, email, planId });
  if (acc.status !== 201) throw new Error(`POST /v1/accounts answered ${acc.status}: ${acc.text}`);
  const key = await rest<{ id: string; key: string; prefix: string }>(srv, "POST", `/v1/accounts/${acc.json.id}/keys`, { name: `load ${label}` });
  if (key.status !== 201) throw new Error(`POST /v1/accounts/:id/keys answered ${key.status}: ${key.text}`);
  return { accountId: acc.json.id, email, name: `Reliability ${label} ${n}`, keyId: key.json.id, key: key.json.key, prefix: key.json.prefix };
}

export async function healthz(srv: Pick<ServerProcess, "url">): Promise<boolean> {
  try {
    const res = await fetch(`${srv.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    return res.status === 200 && ((await res.json()) as { status: string }).status === "ok";
  } catch {
    return false;
  }
}

/** pino lines at level error (50) or fatal (60) in what the server printed. */
export function errorLogLines(logs: string): string[] {
  return logs.split("\n").filter((l) => {
    try {
      return (JSON.parse(l) as { level?: number }).level! >= 50;
    } catch {
      return false;
    }
  });
}
