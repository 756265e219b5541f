import { execFile, spawn, type ChildProcess } from "node:child_process";
import { freePort, waitForPort } from "./ports";

/**
 * A redis-server of the suite's own, on a free port, keeping nothing on disk: the faults (a restart
 * that forgets everything, Redis gone) are made on it, never on the machine's shared Redis.
 */
export class RedisServer {
  private proc: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const r = new RedisServer(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (empty: nothing was kept) on the same port. */
  async up(): Promise<void> {
    if (this.proc) return;
    const proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], { stdio: "ignore" });
    this.proc = proc;
    proc.on("exit", () => {
      if (this.proc === proc) this.proc = null;
    });
    await waitForPort(this.port);
  }

  /** Holds every client's commands for `ms` (CLIENT PAUSE): unreachable to its clients, its data kept. */
  async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      execFile("redis-cli", ["-p", String(this.port), "client", "pause", String(ms), "ALL"], (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Kills it at once (SIGKILL): every count it held is gone. */
  async down(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }
}
