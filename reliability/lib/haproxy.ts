import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports";

/**
 * The load balancer's configuration, as docs/deploy.md shows it: round robin over the `web`
 * instances, each checked on /healthz every half second (two failures take it out, two successes
 * bring it back), keep-alive to the clients, and a request that could not be sent to one instance
 * (connection refused) sent to another. A check may take 3 s: without `timeout check` HAProxy gives it
 * `inter` (500 ms), less than /healthz may wait for the database (HEALTH_DATABASE_WAIT_MS) or than a
 * busy machine takes to answer, and a slow database or a busy moment would take every instance out.
 * An instance's `Keep-Alive: timeout=65` is about its own connection to the balancer: passed on, a
 * client that honours it (Node's fetch does) would keep an idle connection to the balancer past the
 * 30 s after which HAProxy closes it, and send a request on it as it closes; the header is dropped.
 * With `logAbnormal` (the suite's), failed requests and server state changes are logged to stderr.
 */
export function haproxyConfig(opts: { bindPort: number; servers: Array<{ name: string; port: number }>; logAbnormal?: boolean }): string {
  return [
    "global",
    "  maxconn 4096",
    ...(opts.logAbnormal ? ["  log stderr format raw local0"] : []),
    "defaults",
    "  mode http",
    ...(opts.logAbnormal ? ["  log global", "  option httplog", "  option dontlog-normal"] : []),
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout check 3s",
    "  retries 2",
    "  option redispatch",
    "frontend headroom",
    `  bind 127.0.0.1:${opts.bindPort}`,
    "  default_backend web",
    "backend web",
    "  balance roundrobin",
    "  option httpchk GET /healthz",
    "  http-check expect status 200",
    "  default-server inter 500ms fall 2 rise 2",
    "  http-response del-header keep-alive",
    ...opts.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`),
    "",
  ].join("\n");
}

const BINARY = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].find((p) => existsSync(p)) ?? "haproxy";

/** HAProxy in the foreground, on a free port, with the configuration above written into `dir`. */
export class HaProxy {
  private constructor(
    readonly port: number,
    private readonly proc: ChildProcess,
    private readonly output: () => string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(dir: string, servers: Array<{ name: string; port: number }>): Promise<HaProxy> {
    const port = await freePort();
    const file = join(dir, "haproxy.cfg");
    writeFileSync(file, haproxyConfig({ bindPort: port, servers, logAbnormal: true }));
    const proc = spawn(BINARY, ["-db", "-f", file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
    proc.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
    try {
      await waitForPort(port);
    } catch (err) {
      proc.kill("SIGKILL");
      throw new Error(`HAProxy did not start (${BINARY}): ${out || String(err)}`);
    }
    return new HaProxy(port, proc, () => out);
  }

  logs(): string {
    return this.output();
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
  }
}
