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

/** One HTTP server: the lean handler first, then the Express app for everything else. */
export function listen(app: Express, opts: { port: number; host: string; lean?: LeanHandler }): Promise<RunningServer> {
  const server = createServer((req, res) => {
    if (opts.lean && opts.lean(req, res)) return;
    app(req, res);
  });
  server.keepAliveTimeout = 5_000;
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
