/** Spawns a target in its own Node process (so the load generator and the server never share one event loop). */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT_DIR = resolve(BENCH_DIR, "..");

const live = new Set<ChildProcess>();
// Whatever happens to the parent, no target outlives it.
process.on("exit", () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Runs a one-shot script (`node --import tsx bench/targets/<file>.ts`) and parses the last JSON line it prints. */
export function runScript<T>(file: string, env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(BENCH_DIR, "targets", file)], {
      cwd: ROOT_DIR,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    live.add(child);
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.once("exit", (code) => {
      live.delete(child);
      const last = out.trim().split("\n").pop() ?? "";
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolveRun(JSON.parse(last) as T);
      } catch (err) {
        rejectRun(new Error(`${file}: ${String(err)}; output: ${out.slice(-500)}`));
      }
    });
  });
}

export interface Target<Info = Record<string, unknown>> {
  name: string;
  info: Info & { port: number };
  child: ChildProcess;
  /** Sends a command ("cpu", "stats") and resolves with the target's one-line JSON answer. */
  send<T = unknown>(cmd: string): Promise<T>;
  /** Asks the target to stop gracefully; kills it if it does not exit in time. */
  stop<T = Record<string, unknown>>(): Promise<T>;
}

/**
 * `node --import tsx bench/targets/<file>.ts [...args]`. With BENCH_CPU_PROF=<dir>, the measured
 * window of the target is profiled (see targets/protocol.ts) into <dir>/<name>.cpuprofile;
 * `npx tsx bench/profile-top.ts <dir>/<name>.cpuprofile` summarises it.
 */
export function startTarget<Info = Record<string, unknown>>(name: string, file: string, args: string[] = [], env: Record<string, string> = {}): Promise<Target<Info>> {
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir) mkdirSync(resolve(profDir), { recursive: true });
  const child = spawn(process.execPath, ["--import", "tsx", resolve(BENCH_DIR, "targets", file), ...args], {
    cwd: ROOT_DIR,
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...(profDir ? { BENCH_CPU_PROF: resolve(profDir) } : {}), BENCH_TARGET_NAME: name, ...env },
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  let exited = false;
  const exitedPromise = new Promise<void>((done) => child.once("exit", () => ((exited = true), done())));

  return new Promise((resolveReady, rejectReady) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rejectReady(new Error(`${name}: not ready after 60 s`));
    }, 60_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!ready) rejectReady(new Error(`${name}: exited before it was ready (code ${code}, signal ${signal})`));
      for (const w of waiting.splice(0)) w.reject(new Error(`${name}: exited (code ${code}, signal ${signal})`));
    });
    lines.on("line", (line) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
        return;
      }
      if (!ready) {
        ready = true;
        clearTimeout(timer);
        const target: Target<Info> = {
          name,
          info: value as Info & { port: number },
          child,
          send: <T>(cmd: string) =>
            new Promise<T>((res, rej) => {
              if (exited) return rej(new Error(`${name}: not running`));
              waiting.push({ resolve: res as (v: unknown) => void, reject: rej });
              child.stdin!.write(cmd + "\n");
            }),
          stop: async <T>() => {
            if (exited) return {} as T;
            const answer = target.send<T>("stop").catch(() => ({}) as T);
            const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
            const result = await answer;
            await exitedPromise;
            clearTimeout(killer);
            return result;
          },
        };
        resolveReady(target);
        return;
      }
      waiting.shift()?.resolve(value);
    });
  });
}
