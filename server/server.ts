import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";

/** Serves a request without Express if it can (the hot metering routes); returns false otherwise. */
export type LeanHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface RunningServer {
  server: Server;
  port: number;
  /** Stops accepting, lets open requests finish (up to `graceMs`), then resolves. */
  close(graceMs?: number): Promise<void>;
}

/**
 * How long an idle keep-alive connection stays open (ms). Behind a load balancer the balancer must be
 * the one to close the idle connections it keeps to an instance: one the instance closes may be
 * reused by the balancer at that very moment, and the request sent on it is lost (HAProxy then closes
 * the client's connection without an answer, so a /v1/check is neither answered nor retried by it).
 * Node's default of 5 s is shorter than balancers keep idle connections (nginx's upstream
 * `keepalive_timeout` and an AWS ALB's idle timeout are 60 s; HAProxy reused connections idle for 5 s
 * and more in the reliability suite); this is longer.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** One HTTP server: the lean handler first, then the Express app for everything else. */
export function listen(app: Express, opts: { port: number; host: string; lean?: LeanHandler }): Promise<RunningServer> {
  const server = createServer((req, res) => {
    if (opts.lean && opts.lean(req, res)) return;
    app(req, res);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Longer than the keep-alive timeout, so that a request arriving as it ends is not cut by this one.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        close: (graceMs = 4_000) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => {
              server.closeAllConnections();
            }, graceMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
